import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelError } from './errors';
import type { GgufMetadata } from './gguf/metadata';
import { readJsonIfExists } from './hf-config';

/** GGUF token types (tokenizer.ggml.token_type), the same numbering as SentencePiece's. */
export const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

export interface TokenizerSummary {
  model: 'gpt2' | 'llama';
  pre: string;
  tokenCount: number;
  specialTokenIds: Partial<Record<SpecialTokenType, number>>;
  addBos?: boolean;
  addEos?: boolean;
  chatTemplate?: string;
}

type SpecialTokenType = 'bos' | 'eos' | 'unk' | 'sep' | 'pad';
const SPECIAL_TYPES: SpecialTokenType[] = ['bos', 'eos', 'unk', 'sep', 'pad'];
const SPECIAL_KEYS: Record<SpecialTokenType, string> = {
  bos: 'tokenizer.ggml.bos_token_id',
  eos: 'tokenizer.ggml.eos_token_id',
  unk: 'tokenizer.ggml.unknown_token_id',
  sep: 'tokenizer.ggml.seperator_token_id',
  pad: 'tokenizer.ggml.padding_token_id',
};

interface AddedToken {
  id: number;
  content: string;
  special?: boolean;
}

interface TokenizerJson {
  model?: { type?: string; vocab?: Record<string, number> | Array<[string, number]>; merges?: Array<string | [string, string]>; byte_fallback?: boolean; unk_token?: string };
  added_tokens?: AddedToken[];
  pre_tokenizer?: Record<string, unknown> | null;
  post_processor?: Record<string, unknown> | null;
  decoder?: Record<string, unknown> | null;
}

// Pre-tokenizer split patterns as they appear in tokenizer.json, and the llama.cpp pre-tokenizer that implements each.
const LLAMA3_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const SPLIT_PATTERNS: Record<string, string> = { [LLAMA3_PATTERN]: 'llama-bpe', [QWEN2_PATTERN]: 'qwen2' };
export const SUPPORTED_BPE_PRE_TOKENIZERS = ['gpt-2', 'smollm', 'llama-bpe', 'qwen2'] as const;

function looksSpecial(token: string): boolean {
  return (token.startsWith('<|') && token.endsWith('|>')) || ['<pad>', '<mask>'].includes(token) || (token.startsWith('<unused') && token.endsWith('>'));
}

function tokenContent(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (entry && typeof entry === 'object' && typeof (entry as { content?: unknown }).content === 'string') return (entry as { content: string }).content;
  return undefined;
}

/**
 * Which llama.cpp BPE pre-tokenizer reproduces this tokenizer.json's pre_tokenizer. Detected from
 * the structure rather than from a hash of known vocabularies, so fine-tuned or custom vocabularies
 * of a supported family convert too; anything else is refused rather than silently mis-tokenized.
 */
export function detectBpePreTokenizer(preTokenizer: Record<string, unknown> | null | undefined): string {
  const describe = JSON.stringify(preTokenizer ?? null).slice(0, 300);
  const unsupported = () =>
    new ModelError('unsupported_tokenizer', `tokenizer.json pre_tokenizer is not one llama.cpp implements (supported: ${SUPPORTED_BPE_PRE_TOKENIZERS.join(', ')}): ${describe}`);
  if (!preTokenizer) throw unsupported();
  const parts = preTokenizer.type === 'Sequence' ? ((preTokenizer.pretokenizers as Record<string, unknown>[] | undefined) ?? []) : [preTokenizer];
  const byteLevel = parts.at(-1);
  if (byteLevel?.type !== 'ByteLevel') throw unsupported();
  const rest = parts.slice(0, -1);
  const usesRegex = byteLevel.use_regex !== false;
  if (rest.length === 0 && usesRegex) return 'gpt-2';
  if (rest.length === 1 && usesRegex && rest[0]!.type === 'Digits' && rest[0]!.individual_digits === true) return 'smollm';
  if (rest.length === 1 && !usesRegex && rest[0]!.type === 'Split') {
    const pattern = (rest[0]!.pattern as { Regex?: string } | undefined)?.Regex;
    const pre = pattern ? SPLIT_PATTERNS[pattern] : undefined;
    if (pre) return pre;
  }
  throw unsupported();
}

function vocabEntries(model: TokenizerJson['model']): Array<[string, number]> {
  const vocab = model?.vocab;
  if (Array.isArray(vocab)) return vocab.map(([t], i) => [t, i]);
  if (vocab && typeof vocab === 'object') return Object.entries(vocab);
  throw new ModelError('unsupported_tokenizer', 'tokenizer.json has no model.vocab');
}

function mergeStrings(merges: Array<string | [string, string]> | undefined): string[] {
  if (!Array.isArray(merges)) return [];
  // Pairs (the newer format) may contain spaces; llama.cpp splits on the first space, so a space
  // inside a part is written as U+0120, the byte-level alphabet's space, like the reference converter.
  return merges.map((m) => (typeof m === 'string' ? m : m.map((part) => part.replaceAll(' ', '\u0120')).join(' ')));
}

function readChatTemplate(dir: string, tokenizerConfig: Record<string, unknown> | undefined): { template?: string; named: Record<string, string> } {
  const named: Record<string, string> = {};
  const value = tokenizerConfig?.chat_template;
  if (typeof value === 'string') return { template: value, named };
  if (Array.isArray(value)) {
    let template: string | undefined;
    for (const choice of value as Array<{ name?: string; template?: string }>) {
      if (typeof choice?.template !== 'string' || !choice.name) continue;
      if (choice.name === 'default') template = choice.template;
      else named[choice.name.replace(/[^A-Za-z0-9]/g, '_')] = choice.template;
    }
    return { template, named };
  }
  return { named };
}

async function readChatTemplateFiles(dir: string): Promise<string | undefined> {
  const jinja = path.join(dir, 'chat_template.jinja');
  if (existsSync(jinja)) return readFile(jinja, 'utf8');
  const json = await readJsonIfExists(path.join(dir, 'chat_template.json'));
  return typeof json?.chat_template === 'string' ? json.chat_template : undefined;
}

/** Parses SentencePiece's tokenizer.model (a protobuf ModelProto) into pieces, scores and types. */
export function parseSentencePieceModel(bytes: Uint8Array): Array<{ piece: string; score: number; type: number }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  const bad = (why: string) => new ModelError('unsupported_tokenizer', `tokenizer.model is not a SentencePiece model: ${why}`);
  const varint = (buf: Uint8Array, pos: { i: number }): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos.i >= buf.length) throw bad('truncated varint');
      const b = buf[pos.i++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return result;
      shift += 7;
      if (shift > 63) throw bad('varint too long');
    }
  };
  const skip = (buf: Uint8Array, pos: { i: number }, wire: number) => {
    if (wire === 0) varint(buf, pos);
    else if (wire === 1) pos.i += 8;
    else if (wire === 2) pos.i += varint(buf, pos);
    else if (wire === 5) pos.i += 4;
    else throw bad(`unknown wire type ${wire}`);
  };
  const pieces: Array<{ piece: string; score: number; type: number }> = [];
  const pos = { i: 0 };
  while (pos.i < bytes.length) {
    const key = varint(bytes, pos);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 1 && wire === 2) {
      const length = varint(bytes, pos);
      const end = pos.i + length;
      if (end > bytes.length) throw bad('truncated piece');
      const entry = { piece: '', score: 0, type: TokenType.NORMAL as number };
      const sub = { i: pos.i };
      while (sub.i < end) {
        const k = varint(bytes, sub);
        const f = Math.floor(k / 8);
        const w = k & 7;
        if (f === 1 && w === 2) {
          const n = varint(bytes, sub);
          entry.piece = decoder.decode(bytes.subarray(sub.i, sub.i + n));
          sub.i += n;
        } else if (f === 2 && w === 5) {
          entry.score = view.getFloat32(sub.i, true);
          sub.i += 4;
        } else if (f === 3 && w === 0) entry.type = varint(bytes, sub);
        else skip(bytes, sub, w);
      }
      pieces.push(entry);
      pos.i = end;
    } else skip(bytes, pos, wire);
  }
  if (pieces.length === 0) throw bad('no pieces');
  return pieces;
}

/**
 * Adds the tokenizer.* keys llama.cpp needs to `metadata`: vocabulary, merges or scores, token types,
 * special token ids, add-BOS/EOS flags and the chat template, from a Hugging Face model folder.
 */
export async function addTokenizerMetadata(dir: string, metadata: GgufMetadata, options: { vocabSize: number; configBosId?: number; configEosId?: number }): Promise<TokenizerSummary> {
  const tokenizerFile = path.join(dir, 'tokenizer.json');
  const spmFile = path.join(dir, 'tokenizer.model');
  if (!existsSync(tokenizerFile) && !existsSync(spmFile)) {
    throw new ModelError('missing_tokenizer', `no tokenizer.json or tokenizer.model in ${dir}`, { dir });
  }
  let tokenizer: TokenizerJson | undefined;
  if (existsSync(tokenizerFile)) {
    try {
      tokenizer = JSON.parse(await readFile(tokenizerFile, 'utf8')) as TokenizerJson;
    } catch (error) {
      throw new ModelError('unsupported_tokenizer', `tokenizer.json is not valid JSON: ${(error as Error).message}`);
    }
  }
  const tokenizerConfig = await readJsonIfExists(path.join(dir, 'tokenizer_config.json'));
  const added = tokenizer?.added_tokens ?? [];
  const addedDecoder = (tokenizerConfig?.added_tokens_decoder ?? {}) as Record<string, { content?: string; special?: boolean }>;

  const isSpm = existsSync(spmFile) || (tokenizer?.model?.type === 'BPE' && tokenizer.model.byte_fallback === true);
  if (tokenizer && tokenizer.model?.type !== 'BPE' && !existsSync(spmFile)) {
    throw new ModelError('unsupported_tokenizer', `tokenizer model type ${JSON.stringify(tokenizer.model?.type)} is not supported (BPE and SentencePiece are)`);
  }

  const vocabSize = options.vocabSize;
  const tokens: string[] = Array.from({ length: vocabSize }, (_, i) => `[PAD${i}]`);
  const types: number[] = new Array<number>(vocabSize).fill(TokenType.UNUSED);
  const scores: number[] = new Array<number>(vocabSize).fill(isSpm ? -10000 : 0);
  const place = (id: number, text: string, type: number, score?: number) => {
    if (!Number.isInteger(id) || id < 0) return;
    if (id >= vocabSize) {
      throw new ModelError('shape_mismatch', `tokenizer token ${JSON.stringify(text)} has id ${id}, beyond the model's vocab_size ${vocabSize}`);
    }
    tokens[id] = text;
    types[id] = type;
    if (score !== undefined) scores[id] = score;
  };

  let pre: string;
  let merges: string[] = [];
  if (isSpm) {
    pre = 'default';
    if (existsSync(spmFile)) {
      const pieces = parseSentencePieceModel(await readFile(spmFile));
      pieces.forEach((p, id) => place(id, p.piece, p.type, p.score));
    } else {
      // Without tokenizer.model, SentencePiece scores are recovered from the merge ranks: llama.cpp's
      // SPM tokenizer merges the highest-scoring pair first, which is the lowest merge rank.
      const rank = new Map<string, number>();
      mergeStrings(tokenizer!.model!.merges).forEach((m, i) => {
        const merged = m.replace(' ', '');
        if (!rank.has(merged)) rank.set(merged, i);
      });
      const unk = tokenizer!.model!.unk_token;
      for (const [text, id] of vocabEntries(tokenizer!.model)) {
        const type = /^<0x[0-9A-Fa-f]{2}>$/.test(text) ? TokenType.BYTE : text === unk ? TokenType.UNKNOWN : TokenType.NORMAL;
        place(id, text, type, rank.has(text) ? -rank.get(text)! : 0);
      }
    }
    for (const token of added) {
      if (types[token.id] === TokenType.UNKNOWN) continue;
      const special = token.special || looksSpecial(token.content);
      place(token.id, special ? token.content : token.content.replaceAll('\u2581', ' '), special ? TokenType.CONTROL : TokenType.USER_DEFINED, -1000);
    }
  } else {
    pre = detectBpePreTokenizer(tokenizer!.pre_tokenizer);
    merges = mergeStrings(tokenizer!.model!.merges);
    if (merges.length === 0) throw new ModelError('unsupported_tokenizer', 'tokenizer.json has no BPE merges');
    for (const [text, id] of vocabEntries(tokenizer!.model)) place(id, text, TokenType.NORMAL);
    for (const token of added) {
      place(token.id, token.content, token.special || looksSpecial(token.content) ? TokenType.CONTROL : TokenType.USER_DEFINED);
    }
  }
  for (const [idText, entry] of Object.entries(addedDecoder)) {
    const id = Number(idText);
    if (typeof entry?.content !== 'string' || types[id] === TokenType.CONTROL || types[id] === TokenType.UNKNOWN) continue;
    if (entry.special || looksSpecial(entry.content)) place(id, entry.content, TokenType.CONTROL, isSpm ? -1000 : undefined);
  }

  metadata.string('tokenizer.ggml.model', isSpm ? 'llama' : 'gpt2');
  metadata.string('tokenizer.ggml.pre', pre);
  metadata.strings('tokenizer.ggml.tokens', tokens);
  if (isSpm) metadata.f32s('tokenizer.ggml.scores', scores);
  metadata.i32s('tokenizer.ggml.token_type', types);
  if (merges.length) metadata.strings('tokenizer.ggml.merges', merges);

  const idOf = new Map<string, number>();
  tokens.forEach((t, i) => {
    if (types[i] !== TokenType.UNUSED && !idOf.has(t)) idOf.set(t, i);
  });
  const addedIds = new Map(added.map((t) => [t.content, t.id]));
  const specialTokenIds: TokenizerSummary['specialTokenIds'] = {};
  for (const type of SPECIAL_TYPES) {
    const content = tokenContent(tokenizerConfig?.[`${type}_token`]);
    const id = content !== undefined ? (addedIds.get(content) ?? idOf.get(content)) : undefined;
    if (id !== undefined) specialTokenIds[type] = id;
  }
  if (specialTokenIds.bos === undefined && options.configBosId !== undefined) specialTokenIds.bos = options.configBosId;
  if (specialTokenIds.eos === undefined && options.configEosId !== undefined) specialTokenIds.eos = options.configEosId;
  for (const [type, id] of Object.entries(specialTokenIds)) {
    if (id < vocabSize) metadata.u32(SPECIAL_KEYS[type as SpecialTokenType], id);
  }

  let addBos: boolean | undefined;
  let addEos: boolean | undefined;
  const post = tokenizer?.post_processor;
  const processors = (post?.type === 'Sequence' ? (post.processors as Record<string, unknown>[]) : post ? [post] : []) ?? [];
  for (const processor of processors) {
    if (processor.type !== 'TemplateProcessing') continue;
    const single = (processor.single as Array<{ SpecialToken?: { id?: string } }> | undefined) ?? [];
    if (single.length > 1) {
      const first = single[0]?.SpecialToken?.id;
      const last = single.at(-1)?.SpecialToken?.id;
      if (first !== undefined) addBos = specialTokenIds.bos !== undefined && idOf.get(first) === specialTokenIds.bos;
      if (last !== undefined) addEos = specialTokenIds.eos !== undefined && idOf.get(last) === specialTokenIds.eos;
    }
  }
  if (typeof tokenizerConfig?.add_bos_token === 'boolean') addBos = tokenizerConfig.add_bos_token;
  if (typeof tokenizerConfig?.add_eos_token === 'boolean') addEos = tokenizerConfig.add_eos_token;
  if (addBos !== undefined) metadata.bool('tokenizer.ggml.add_bos_token', addBos);
  if (addEos !== undefined) metadata.bool('tokenizer.ggml.add_eos_token', addEos);
  if (isSpm && typeof tokenizerConfig?.add_prefix_space === 'boolean') metadata.bool('tokenizer.ggml.add_space_prefix', tokenizerConfig.add_prefix_space);

  const fromConfig = readChatTemplate(dir, tokenizerConfig);
  const chatTemplate = fromConfig.template ?? (await readChatTemplateFiles(dir));
  if (chatTemplate) metadata.string('tokenizer.chat_template', chatTemplate);
  const names = Object.keys(fromConfig.named);
  for (const name of names) metadata.string(`tokenizer.chat_template.${name}`, fromConfig.named[name]!);
  if (names.length) metadata.strings('tokenizer.chat_templates', names);

  return { model: isSpm ? 'llama' : 'gpt2', pre, tokenCount: vocabSize, specialTokenIds, addBos, addEos, chatTemplate };
}

/** The chat template a folder declares, without building the vocabulary (for inspection). */
export async function readFolderChatTemplate(dir: string): Promise<string | undefined> {
  const tokenizerConfig = await readJsonIfExists(path.join(dir, 'tokenizer_config.json'));
  return readChatTemplate(dir, tokenizerConfig).template ?? (await readChatTemplateFiles(dir));
}
