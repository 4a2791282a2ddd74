// Builders for small but complete Hugging Face model folders with random weights and a real
// byte-level BPE tokenizer, used by tests and the export benchmark (no network, no Python).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { f32ToBf16, f32ToF16 } from '../../../server/services/model-format/numeric';
import { float32Bytes, writeSafetensors, type SafetensorsDtype, type SafetensorsWriteTensor } from '../../../server/services/model-format/safetensors';

export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomNormal(rng: () => number, n: number, std: number, mean = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rng(), 1e-12);
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = mean + r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = mean + r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

export function encodeAs(dtype: SafetensorsDtype, values: Float32Array): Uint8Array {
  if (dtype === 'F32') return float32Bytes(values);
  const out = new Uint16Array(values.length);
  if (dtype === 'F16') f32ToF16(values, out);
  else if (dtype === 'BF16') f32ToBf16(values, out);
  else throw new Error(`cannot encode ${dtype}`);
  return new Uint8Array(out.buffer);
}

// ---- byte-level BPE tokenizer ----

export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const map: string[] = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) map[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  return map;
}

const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export const MULTILINGUAL_CORPUS = [
  'The quick brown fox jumps over the lazy dog. She sells sea shells by the sea shore.',
  'Hello, how are you today? I am fine, thank you! Let us train a tiny model together.',
  "Le renard brun rapide saute par-dessus le chien paresseux. C'est la vie, n'est-ce pas ?",
  'Der schnelle braune Fuchs springt über den faulen Hund. Grüße aus München und Köln.',
  'El rápido zorro marrón salta sobre el perro perezoso. ¿Dónde está la biblioteca?',
  'Быстрая коричневая лиса прыгает через ленивую собаку. Привет, как дела?',
  '敏捷的棕色狐狸跳过了懒狗。我想在苹果公司工作。今天天气很好。',
  '素早い茶色の狐がのろまな犬を飛び越える。こんにちは、世界！',
  'الثعلب البني السريع يقفز فوق الكلب الكسول. مرحبا بالعالم',
  'def add(a, b):\n    return a + b\n\nprint(add(3, 4))  # 7',
  'Numbers: 3 33 333 3333 2024-11-23 3.14159 1,000,000 and emojis 🚀🦙✅ too.',
  'user: what is 3 plus 4?\nassistant: 3 plus 4 is 7.\nuser: thanks!\nassistant: you are welcome.',
];

export interface BpeTokenizerOptions {
  merges?: number;
  corpus?: string[];
  /** 'gpt-2' (ByteLevel alone) or 'smollm' (individual digits, then ByteLevel). */
  preTokenizer?: 'gpt-2' | 'smollm';
  specialTokens?: string[];
}

export interface BuiltTokenizer {
  json: Record<string, unknown>;
  vocabSize: number;
  specialIds: Record<string, number>;
}

/** Trains a byte-level BPE (GPT-2 style) on a small corpus and returns it as tokenizer.json. */
export function buildByteLevelBpe(options: BpeTokenizerOptions = {}): BuiltTokenizer {
  const byteChars = bytesToUnicode();
  const encoder = new TextEncoder();
  const counts = new Map<string, number>();
  for (const text of options.corpus ?? MULTILINGUAL_CORPUS) {
    for (const piece of text.match(GPT2_SPLIT) ?? []) {
      const mapped = Array.from(encoder.encode(piece), (b) => byteChars[b]).join('');
      counts.set(mapped, (counts.get(mapped) ?? 0) + 1);
    }
  }
  const words = [...counts.entries()].map(([w, c]) => ({ symbols: Array.from(w), count: c }));
  const vocab: Record<string, number> = {};
  byteChars.forEach((c, i) => (vocab[c] = i));
  const merges: Array<[string, string]> = [];
  const target = options.merges ?? 400;
  while (merges.length < target) {
    const pairs = new Map<string, number>();
    for (const w of words) {
      for (let i = 0; i + 1 < w.symbols.length; i++) {
        const key = `${w.symbols[i]}\u0000${w.symbols[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + w.count);
      }
    }
    let best: string | undefined;
    let bestCount = 0;
    for (const [key, c] of pairs) {
      if (c > bestCount || (c === bestCount && best !== undefined && key < best)) {
        best = key;
        bestCount = c;
      }
    }
    if (!best) break;
    const [a, b] = best.split('\u0000') as [string, string];
    merges.push([a, b]);
    if (!(a + b in vocab)) vocab[a + b] = Object.keys(vocab).length;
    for (const w of words) {
      const next: string[] = [];
      for (let i = 0; i < w.symbols.length; i++) {
        if (i + 1 < w.symbols.length && w.symbols[i] === a && w.symbols[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(w.symbols[i]!);
      }
      w.symbols = next;
    }
  }
  const specials = options.specialTokens ?? ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
  const specialIds: Record<string, number> = {};
  const base = Object.keys(vocab).length;
  const addedTokens = specials.map((content, i) => {
    specialIds[content] = base + i;
    return { id: base + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
  });
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const preTokenizer =
    options.preTokenizer === 'smollm' ? { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel] } : byteLevel;
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  return { json, vocabSize: base + specials.length, specialIds };
}

export interface SentencePieceTokenizer extends BuiltTokenizer {
  pieces: Array<{ piece: string; score: number; type: number }>;
}

/**
 * A Llama-2-style SentencePiece BPE vocabulary (<unk>, <s>, </s>, 256 byte pieces, then pieces
 * learned on the corpus with ▁ for spaces) as tokenizer.json, with merges listing every split of
 * every piece in score order, as Hugging Face's SentencePiece converter writes them, so that merge
 * ranks and SentencePiece scores describe the same tokenizer.
 */
export function buildSentencePieceBpe(options: { merges?: number; corpus?: string[] } = {}): SentencePieceTokenizer {
  const words = new Map<string, number>();
  for (const text of options.corpus ?? MULTILINGUAL_CORPUS) {
    for (const word of text.split(/(?= )/)) {
      const w = `\u2581${word.replace(/^ /, '').replaceAll(' ', '\u2581')}`;
      words.set(w, (words.get(w) ?? 0) + 1);
    }
  }
  const split = [...words.entries()].map(([w, c]) => ({ symbols: Array.from(w), count: c }));
  const chars = [...new Set(split.flatMap((w) => w.symbols))].sort();
  const learned: string[] = [];
  for (let step = 0; step < (options.merges ?? 300); step++) {
    const pairs = new Map<string, number>();
    for (const w of split) for (let i = 0; i + 1 < w.symbols.length; i++) pairs.set(`${w.symbols[i]}\u0000${w.symbols[i + 1]}`, (pairs.get(`${w.symbols[i]}\u0000${w.symbols[i + 1]}`) ?? 0) + w.count);
    let best: string | undefined;
    let bestCount = 1;
    for (const [k, c] of pairs) if (c > bestCount || (c === bestCount && best !== undefined && k < best)) [best, bestCount] = [k, c];
    if (!best) break;
    const [a, b] = best.split('\u0000') as [string, string];
    if (!learned.includes(a + b)) learned.push(a + b);
    for (const w of split) {
      const next: string[] = [];
      for (let i = 0; i < w.symbols.length; i++) {
        if (i + 1 < w.symbols.length && w.symbols[i] === a && w.symbols[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(w.symbols[i]!);
      }
      w.symbols = next;
    }
  }
  const pieces: SentencePieceTokenizer['pieces'] = [
    { piece: '<unk>', score: 0, type: 2 },
    { piece: '<s>', score: 0, type: 3 },
    { piece: '</s>', score: 0, type: 3 },
  ];
  for (let b = 0; b < 256; b++) pieces.push({ piece: `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, score: 0, type: 6 });
  learned.forEach((p, i) => pieces.push({ piece: p, score: -i, type: 1 }));
  chars.forEach((c, i) => pieces.push({ piece: c, score: -learned.length - i, type: 1 }));
  const vocab: Record<string, number> = {};
  pieces.forEach((p, i) => (vocab[p.piece] = i));
  const merges: Array<[string, string]> = [];
  for (const p of pieces) {
    if (p.type !== 1) continue;
    const cps = Array.from(p.piece);
    for (let i = 1; i < cps.length; i++) {
      const left = cps.slice(0, i).join('');
      const right = cps.slice(i).join('');
      if (left in vocab && right in vocab) merges.push([left, right]);
    }
  }
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '\u2581' }, { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' }] },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [{ type: 'Replace', pattern: { String: '\u2581' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }],
    },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges },
  };
  return { json, vocabSize: pieces.length, specialIds: { '<unk>': 0, '<s>': 1, '</s>': 2 }, pieces };
}

/** SentencePiece's tokenizer.model: a protobuf ModelProto holding only the pieces (field 1). */
export function encodeSentencePieceModel(pieces: SentencePieceTokenizer['pieces']): Uint8Array {
  const bytes: number[] = [];
  const varint = (out: number[], v: number) => {
    while (v > 0x7f) {
      out.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.push(v);
  };
  for (const p of pieces) {
    const body: number[] = [];
    const text = Array.from(new TextEncoder().encode(p.piece));
    body.push(0x0a);
    varint(body, text.length);
    body.push(...text);
    body.push(0x15);
    body.push(...new Uint8Array(new Float32Array([p.score]).buffer));
    if (p.type !== 1) {
      body.push(0x18);
      varint(body, p.type);
    }
    bytes.push(0x0a);
    varint(bytes, body.length);
    bytes.push(...body);
  }
  return Uint8Array.from(bytes);
}

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

// ---- model folder ----

export interface RandomModelOptions {
  dir: string;
  seed?: number;
  dtype?: SafetensorsDtype;
  architecture?: 'LlamaForCausalLM' | 'MistralForCausalLM' | 'Qwen2ForCausalLM';
  hiddenSize?: number;
  intermediateSize?: number;
  numLayers?: number;
  numHeads?: number;
  numKvHeads?: number;
  /** Defaults to the tokenizer's size. */
  vocabSize?: number;
  contextLength?: number;
  ropeTheta?: number;
  rmsNormEps?: number;
  tieWordEmbeddings?: boolean;
  ropeScaling?: Record<string, unknown>;
  tokenizer?: BpeTokenizerOptions;
  /** Use this tokenizer (with SentencePiece special tokens) instead of training a byte-level BPE. */
  sentencePiece?: SentencePieceTokenizer;
  /** Also write the SentencePiece tokenizer.model. */
  writeTokenizerModel?: boolean;
  chatTemplate?: string | null;
  license?: string;
  /** Write the weights as this many shards with model.safetensors.index.json. */
  shards?: number;
  /** Weight scale: the default 0.02 like Hugging Face's init; larger gives livelier logits. */
  std?: number;
}

export interface RandomModel {
  dir: string;
  config: Record<string, unknown>;
  tokenizer: BuiltTokenizer;
  tensorNames: string[];
}

/** Writes config.json, tokenizer.json, tokenizer_config.json, README.md and random safetensors weights. */
export async function writeRandomModel(options: RandomModelOptions): Promise<RandomModel> {
  const rng = createRng(options.seed ?? 1);
  const dtype = options.dtype ?? 'F32';
  const arch = options.architecture ?? 'LlamaForCausalLM';
  const hidden = options.hiddenSize ?? 64;
  const inter = options.intermediateSize ?? 128;
  const layers = options.numLayers ?? 2;
  const heads = options.numHeads ?? 4;
  const kvHeads = options.numKvHeads ?? 2;
  const headDim = hidden / heads;
  const tokenizer = options.sentencePiece ?? buildByteLevelBpe(options.tokenizer);
  const vocab = options.vocabSize ?? tokenizer.vocabSize;
  const tied = options.tieWordEmbeddings ?? false;
  const std = options.std ?? 0.02;
  const isQwen = arch === 'Qwen2ForCausalLM';
  const config: Record<string, unknown> = {
    architectures: [arch],
    model_type: isQwen ? 'qwen2' : arch === 'MistralForCausalLM' ? 'mistral' : 'llama',
    hidden_size: hidden,
    intermediate_size: inter,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    vocab_size: vocab,
    max_position_embeddings: options.contextLength ?? 2048,
    rms_norm_eps: options.rmsNormEps ?? 1e-5,
    rope_theta: options.ropeTheta ?? 10000,
    tie_word_embeddings: tied,
    torch_dtype: dtype === 'BF16' ? 'bfloat16' : dtype === 'F16' ? 'float16' : 'float32',
    bos_token_id: options.sentencePiece ? 1 : tokenizer.specialIds['<|im_start|>'],
    eos_token_id: options.sentencePiece ? 2 : tokenizer.specialIds['<|im_end|>'],
    hidden_act: 'silu',
  };
  if (options.ropeScaling) config.rope_scaling = options.ropeScaling;

  const shape: Record<string, number[]> = { 'model.embed_tokens.weight': [vocab, hidden] };
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}.`;
    shape[`${p}input_layernorm.weight`] = [hidden];
    shape[`${p}self_attn.q_proj.weight`] = [heads * headDim, hidden];
    shape[`${p}self_attn.k_proj.weight`] = [kvHeads * headDim, hidden];
    shape[`${p}self_attn.v_proj.weight`] = [kvHeads * headDim, hidden];
    if (isQwen) {
      shape[`${p}self_attn.q_proj.bias`] = [heads * headDim];
      shape[`${p}self_attn.k_proj.bias`] = [kvHeads * headDim];
      shape[`${p}self_attn.v_proj.bias`] = [kvHeads * headDim];
    }
    shape[`${p}self_attn.o_proj.weight`] = [hidden, heads * headDim];
    shape[`${p}post_attention_layernorm.weight`] = [hidden];
    shape[`${p}mlp.gate_proj.weight`] = [inter, hidden];
    shape[`${p}mlp.up_proj.weight`] = [inter, hidden];
    shape[`${p}mlp.down_proj.weight`] = [hidden, inter];
  }
  shape['model.norm.weight'] = [hidden];
  if (!tied) shape['lm_head.weight'] = [vocab, hidden];

  const names = Object.keys(shape);
  const tensors: SafetensorsWriteTensor[] = names.map((name) => ({
    name,
    dtype,
    shape: shape[name]!,
    data: () => {
      const n = shape[name]!.reduce((a, b) => a * b, 1);
      const isNorm = name.endsWith('norm.weight');
      const values = randomNormal(rng, n, isNorm ? 0.1 : name.endsWith('.bias') ? std * 5 : std, isNorm ? 1 : 0);
      return encodeAs(dtype, values);
    },
  }));

  await mkdir(options.dir, { recursive: true });
  const shards = options.shards ?? 1;
  if (shards <= 1) {
    await writeSafetensors(path.join(options.dir, 'model.safetensors'), tensors, { metadata: { format: 'pt' } });
  } else {
    const weightMap: Record<string, string> = {};
    const per = Math.ceil(tensors.length / shards);
    for (let s = 0; s < shards; s++) {
      const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
      const part = tensors.slice(s * per, (s + 1) * per);
      for (const t of part) weightMap[t.name] = file;
      await writeSafetensors(path.join(options.dir, file), part, { metadata: { format: 'pt' } });
    }
    await writeFile(path.join(options.dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2));
  }
  await writeFile(path.join(options.dir, 'config.json'), JSON.stringify(config, null, 2));
  await writeFile(path.join(options.dir, 'tokenizer.json'), JSON.stringify(tokenizer.json));
  const tokenizerConfig: Record<string, unknown> = options.sentencePiece
    ? { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', add_bos_token: true, add_eos_token: false, model_max_length: options.contextLength ?? 2048, tokenizer_class: 'LlamaTokenizer' }
    : {
        bos_token: '<|im_start|>',
        eos_token: '<|im_end|>',
        pad_token: '<|endoftext|>',
        unk_token: '<|endoftext|>',
        add_bos_token: false,
        add_eos_token: false,
        model_max_length: options.contextLength ?? 2048,
        tokenizer_class: 'GPT2Tokenizer',
      };
  if (options.sentencePiece && options.writeTokenizerModel) {
    await writeFile(path.join(options.dir, 'tokenizer.model'), encodeSentencePieceModel(options.sentencePiece.pieces));
  }
  if (options.chatTemplate !== null) tokenizerConfig.chat_template = options.chatTemplate ?? CHATML_TEMPLATE;
  await writeFile(path.join(options.dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2));
  await writeFile(path.join(options.dir, 'README.md'), `---\nlicense: ${options.license ?? 'apache-2.0'}\nlibrary_name: transformers\n---\n\n# Random test model\n`);
  return { dir: options.dir, config, tokenizer, tensorNames: names };
}

export interface RandomAdapterOptions {
  dir: string;
  base: RandomModel;
  seed?: number;
  r?: number;
  alpha?: number;
  targets?: string[];
  useRslora?: boolean;
  std?: number;
}

/** Writes a PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors) with non-zero A and B. */
export async function writeRandomAdapter(options: RandomAdapterOptions): Promise<{ dir: string; scale: number }> {
  const rng = createRng(options.seed ?? 7);
  const r = options.r ?? 4;
  const alpha = options.alpha ?? 8;
  const targets = options.targets ?? ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
  const c = options.base.config as Record<string, number>;
  const headDim = c.hidden_size! / c.num_attention_heads!;
  const dims: Record<string, [number, number]> = {
    q_proj: [c.num_attention_heads! * headDim, c.hidden_size!],
    k_proj: [c.num_key_value_heads! * headDim, c.hidden_size!],
    v_proj: [c.num_key_value_heads! * headDim, c.hidden_size!],
    o_proj: [c.hidden_size!, c.num_attention_heads! * headDim],
    gate_proj: [c.intermediate_size!, c.hidden_size!],
    up_proj: [c.intermediate_size!, c.hidden_size!],
    down_proj: [c.hidden_size!, c.intermediate_size!],
  };
  const tensors: SafetensorsWriteTensor[] = [];
  for (let l = 0; l < c.num_hidden_layers!; l++) {
    for (const t of targets) {
      const group = t.endsWith('_proj') && ['gate_proj', 'up_proj', 'down_proj'].includes(t) ? 'mlp' : 'self_attn';
      const [out, inp] = dims[t]!;
      const prefix = `base_model.model.model.layers.${l}.${group}.${t}`;
      tensors.push({ name: `${prefix}.lora_A.weight`, dtype: 'F32', shape: [r, inp], data: float32Bytes(randomNormal(rng, r * inp, options.std ?? 0.1)) });
      tensors.push({ name: `${prefix}.lora_B.weight`, dtype: 'F32', shape: [out, r], data: float32Bytes(randomNormal(rng, out * r, options.std ?? 0.1)) });
    }
  }
  await mkdir(options.dir, { recursive: true });
  await writeSafetensors(path.join(options.dir, 'adapter_model.safetensors'), tensors, { metadata: { format: 'pt' } });
  await writeFile(
    path.join(options.dir, 'adapter_config.json'),
    JSON.stringify({ peft_type: 'LORA', r, lora_alpha: alpha, target_modules: targets, lora_dropout: 0, bias: 'none', task_type: 'CAUSAL_LM', use_rslora: options.useRslora ?? false }, null, 2),
  );
  return { dir: options.dir, scale: options.useRslora ? alpha / Math.sqrt(r) : alpha / r };
}
