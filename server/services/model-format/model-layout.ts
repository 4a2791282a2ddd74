import { ModelError } from './errors';
import type { LlamaFamilyConfig } from './hf-config';
import type { Checkpoint } from './safetensors';

export interface LayoutTensor {
  hfName: string;
  ggufName: string;
  /** PyTorch shape (outermost first). */
  shape: number[];
  /** Rows belong to RoPE heads of this many rows and must be reordered for llama.cpp (q/k of the llama graph). */
  permuteHeadRows?: number;
}

const LAYER_TENSORS: Array<[string, string]> = [
  ['input_layernorm.weight', 'attn_norm.weight'],
  ['self_attn.q_proj.weight', 'attn_q.weight'],
  ['self_attn.k_proj.weight', 'attn_k.weight'],
  ['self_attn.v_proj.weight', 'attn_v.weight'],
  ['self_attn.o_proj.weight', 'attn_output.weight'],
  ['post_attention_layernorm.weight', 'ffn_norm.weight'],
  ['mlp.gate_proj.weight', 'ffn_gate.weight'],
  ['mlp.up_proj.weight', 'ffn_up.weight'],
  ['mlp.down_proj.weight', 'ffn_down.weight'],
];
const OPTIONAL_BIASES: Array<[string, string]> = [
  ['self_attn.q_proj.bias', 'attn_q.bias'],
  ['self_attn.k_proj.bias', 'attn_k.bias'],
  ['self_attn.v_proj.bias', 'attn_v.bias'],
  ['self_attn.o_proj.bias', 'attn_output.bias'],
];
const IGNORED = /(^|\.)rotary_emb\.inv_freq$/;

/** Hugging Face module name (without .weight) of a linear layer to its GGUF tensor name (with .weight). */
export function ggufLinearName(module: string): string | undefined {
  if (module === 'lm_head') return 'output.weight';
  const m = /^model\.layers\.(\d+)\.(self_attn\.[qkvo]_proj|mlp\.(?:gate|up|down)_proj)$/.exec(module);
  if (!m) return undefined;
  const entry = LAYER_TENSORS.find(([hf]) => hf === `${m[2]}.weight`);
  return entry ? `blk.${m[1]}.${entry[1]}` : undefined;
}

function expectedShape(c: LlamaFamilyConfig, name: string): number[] {
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const shapes: Record<string, number[]> = {
    'input_layernorm.weight': [c.hiddenSize],
    'post_attention_layernorm.weight': [c.hiddenSize],
    'self_attn.q_proj.weight': [q, c.hiddenSize],
    'self_attn.k_proj.weight': [kv, c.hiddenSize],
    'self_attn.v_proj.weight': [kv, c.hiddenSize],
    'self_attn.o_proj.weight': [c.hiddenSize, q],
    'mlp.gate_proj.weight': [c.intermediateSize, c.hiddenSize],
    'mlp.up_proj.weight': [c.intermediateSize, c.hiddenSize],
    'mlp.down_proj.weight': [c.hiddenSize, c.intermediateSize],
    'self_attn.q_proj.bias': [q],
    'self_attn.k_proj.bias': [kv],
    'self_attn.v_proj.bias': [kv],
    'self_attn.o_proj.bias': [c.hiddenSize],
  };
  return shapes[name]!;
}

/**
 * Checks every tensor of a Llama-family checkpoint against config.json and maps it to its GGUF name.
 * Missing, misshapen or unexpected tensors are all reported at once as shape_mismatch.
 */
export function planModelLayout(config: LlamaFamilyConfig, checkpoint: Checkpoint): LayoutTensor[] {
  const problems: string[] = [];
  const out: LayoutTensor[] = [];
  const seen = new Set<string>();
  const take = (hfName: string, ggufName: string, shape: number[], optional = false, permuteHeadRows?: number) => {
    const info = checkpoint.get(hfName);
    if (!info) {
      if (!optional) problems.push(`missing ${hfName}`);
      return;
    }
    seen.add(hfName);
    if (info.shape.join(',') !== shape.join(',')) {
      problems.push(`${hfName} is [${info.shape.join(', ')}], config.json implies [${shape.join(', ')}]`);
      return;
    }
    out.push({ hfName, ggufName, shape, permuteHeadRows });
  };
  take('model.embed_tokens.weight', 'token_embd.weight', [config.vocabSize, config.hiddenSize]);
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const [hf, gguf] of LAYER_TENSORS) {
      take(`model.layers.${layer}.${hf}`, `blk.${layer}.${gguf}`, expectedShape(config, hf), false, permuteRowsFor(config, hf));
    }
    for (const [hf, gguf] of OPTIONAL_BIASES) {
      take(`model.layers.${layer}.${hf}`, `blk.${layer}.${gguf}`, expectedShape(config, hf), true, permuteRowsFor(config, hf));
    }
  }
  take('model.norm.weight', 'output_norm.weight', [config.hiddenSize]);
  // Tied embeddings: llama.cpp reuses token_embd when output.weight is absent.
  take('lm_head.weight', 'output.weight', [config.vocabSize, config.hiddenSize], config.tieWordEmbeddings);
  const unexpected = [...checkpoint.tensors.keys()].filter((n) => !seen.has(n) && !IGNORED.test(n));
  if (unexpected.length) problems.push(`unexpected tensors ${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ` and ${unexpected.length - 5} more` : ''}`);
  if (problems.length) {
    throw new ModelError('shape_mismatch', `weights do not match config.json: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? ` (${problems.length} problems)` : ''}`, {
      problems,
    });
  }
  return out;
}

function permuteRowsFor(config: LlamaFamilyConfig, hf: string): number | undefined {
  if (!config.permuteQK) return undefined;
  if (hf.startsWith('self_attn.q_proj.') || hf.startsWith('self_attn.k_proj.')) return config.headDim;
  return undefined;
}

/**
 * Hugging Face Llama stores each head's q/k rows as [first halves | second halves] (rotate_half);
 * llama.cpp's RoPE rotates adjacent pairs. Row h*hd + j*hd/2 + i moves to h*hd + 2i + j.
 * `data` holds whole heads of `headRows` rows of `rowElems` values each.
 */
export function permuteHeadRows(data: Float32Array, rowElems: number, headRows: number): Float32Array {
  const out = new Float32Array(data.length);
  const half = headRows / 2;
  const heads = data.length / (rowElems * headRows);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const src = (h * headRows + j * half + i) * rowElems;
        const dst = (h * headRows + 2 * i + j) * rowElems;
        out.set(data.subarray(src, src + rowElems), dst);
      }
    }
  }
  return out;
}
