import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelError } from './errors';

interface ArchitectureSpec {
  family: 'llama' | 'mistral' | 'qwen2';
  ggufArch: 'llama' | 'qwen2';
  /** llama.cpp's "llama" graph uses interleaved RoPE, so Hugging Face's half-split q/k rows are reordered. */
  permuteQK: boolean;
}

export const SUPPORTED_ARCHITECTURES: Record<string, ArchitectureSpec> = {
  LlamaForCausalLM: { family: 'llama', ggufArch: 'llama', permuteQK: true },
  MistralForCausalLM: { family: 'mistral', ggufArch: 'llama', permuteQK: true },
  Qwen2ForCausalLM: { family: 'qwen2', ggufArch: 'qwen2', permuteQK: false },
};

export type RopeScaling =
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalContextLength: number }
  | { type: 'linear'; factor: number }
  | { type: 'yarn'; factor: number; originalContextLength: number; betaFast?: number; betaSlow?: number; attentionFactor?: number };

export interface LlamaFamilyConfig {
  architecture: string;
  family: ArchitectureSpec['family'];
  ggufArch: ArchitectureSpec['ggufArch'];
  permuteQK: boolean;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** True when config.json sets head_dim explicitly (then GGUF carries key/value lengths). */
  explicitHeadDim: boolean;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling?: RopeScaling;
  contextLength: number;
  tieWordEmbeddings: boolean;
  torchDtype?: string;
  bosTokenId?: number;
  eosTokenId?: number;
  raw: Record<string, unknown>;
}

export function supportedArchitecturesText(): string {
  return Object.keys(SUPPORTED_ARCHITECTURES).join(', ');
}

async function readJson(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ModelError('invalid_config', `${path.basename(file)} is not valid JSON: ${(error as Error).message}`, { file });
  }
}

export async function readJsonIfExists(file: string): Promise<Record<string, unknown> | undefined> {
  if (!existsSync(file)) return undefined;
  const value = await readJson(file);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelError('invalid_config', `${path.basename(file)} must hold a JSON object`, { file });
  }
  return value as Record<string, unknown>;
}

export async function readModelConfig(dir: string): Promise<LlamaFamilyConfig> {
  const file = path.join(dir, 'config.json');
  const raw = await readJsonIfExists(file);
  if (!raw) throw new ModelError('missing_config', `no config.json in ${dir}: a Hugging Face model folder needs one`, { dir });
  return parseModelConfig(raw, file);
}

export function parseModelConfig(raw: Record<string, unknown>, file = 'config.json'): LlamaFamilyConfig {
  const architectures = Array.isArray(raw.architectures) ? raw.architectures.filter((a): a is string => typeof a === 'string') : [];
  const architecture = architectures.find((a) => a in SUPPORTED_ARCHITECTURES);
  if (!architecture) {
    const found = architectures.length ? architectures.join(', ') : `model_type ${JSON.stringify(raw.model_type ?? null)}`;
    throw new ModelError('unsupported_architecture', `architecture ${found} is not supported; supported: ${supportedArchitecturesText()}`, {
      architectures,
      supported: Object.keys(SUPPORTED_ARCHITECTURES),
    });
  }
  const spec = SUPPORTED_ARCHITECTURES[architecture]!;
  // llama.cpp's llama and qwen2 graphs apply SiLU whatever config.json says: anything else would load and answer wrongly.
  const act = raw.hidden_act ?? 'silu';
  if (act !== 'silu' && act !== 'swish') {
    throw new ModelError('unsupported_architecture', `${path.basename(file)}: hidden_act ${JSON.stringify(act)} is not supported (only silu)`, { hidden_act: act });
  }
  const int = (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new ModelError('invalid_config', `${path.basename(file)}: ${key} must be a positive integer, got ${JSON.stringify(raw[key])}`, { key });
    }
    return v;
  };
  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  const numKvHeads = int('num_key_value_heads', numHeads);
  const explicitHeadDim = typeof raw.head_dim === 'number';
  const headDim = explicitHeadDim ? int('head_dim') : hiddenSize / numHeads;
  if (!Number.isInteger(headDim)) throw new ModelError('invalid_config', `hidden_size ${hiddenSize} is not divisible by ${numHeads} heads`);
  if (numHeads % numKvHeads !== 0) throw new ModelError('invalid_config', `num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`);

  const ropeParams = (typeof raw.rope_parameters === 'object' && raw.rope_parameters !== null ? raw.rope_parameters : undefined) as Record<string, unknown> | undefined;
  const scaling = (typeof raw.rope_scaling === 'object' && raw.rope_scaling !== null ? raw.rope_scaling : ropeParams) as Record<string, unknown> | undefined;
  const ropeTheta = Number(raw.rope_theta ?? ropeParams?.rope_theta ?? 10000);
  const optionalId = (key: string): number | undefined => {
    const v = raw[key];
    if (typeof v === 'number') return v;
    if (Array.isArray(v) && typeof v[0] === 'number') return v[0];
    return undefined;
  };
  return {
    architecture,
    ...spec,
    vocabSize: int('vocab_size'),
    hiddenSize,
    intermediateSize: int('intermediate_size'),
    numLayers: int('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    explicitHeadDim,
    rmsNormEps: Number(raw.rms_norm_eps ?? 1e-6),
    ropeTheta,
    ropeScaling: parseRopeScaling(scaling),
    contextLength: int('max_position_embeddings', 2048),
    tieWordEmbeddings: raw.tie_word_embeddings === true,
    torchDtype: typeof raw.torch_dtype === 'string' ? raw.torch_dtype : typeof raw.dtype === 'string' ? raw.dtype : undefined,
    bosTokenId: optionalId('bos_token_id'),
    eosTokenId: optionalId('eos_token_id'),
    raw,
  };
}

function parseRopeScaling(s: Record<string, unknown> | undefined): RopeScaling | undefined {
  if (!s) return undefined;
  const type = String(s.rope_type ?? s.type ?? '').toLowerCase();
  const factor = typeof s.factor === 'number' ? s.factor : undefined;
  if (type === 'llama3') {
    return {
      type: 'llama3',
      factor: factor ?? 8,
      lowFreqFactor: Number(s.low_freq_factor ?? 1),
      highFreqFactor: Number(s.high_freq_factor ?? 4),
      originalContextLength: Number(s.original_max_position_embeddings ?? 8192),
    };
  }
  if (type === 'linear' && factor !== undefined) return { type: 'linear', factor };
  if (type === 'yarn' && factor !== undefined) {
    return {
      type: 'yarn',
      factor,
      originalContextLength: Number(s.original_max_position_embeddings),
      betaFast: typeof s.beta_fast === 'number' ? s.beta_fast : undefined,
      betaSlow: typeof s.beta_slow === 'number' ? s.beta_slow : undefined,
      attentionFactor: typeof s.attention_factor === 'number' ? s.attention_factor : undefined,
    };
  }
  if (type === '' || type === 'default') return undefined;
  throw new ModelError('unsupported_architecture', `RoPE scaling type ${JSON.stringify(type)} is not supported (llama3, linear and yarn are)`);
}

/** llama.cpp's rope_freqs tensor for Llama 3.x long-context scaling (one factor per rotary frequency). */
export function llama3RopeFactors(config: LlamaFamilyConfig): Float32Array | undefined {
  const s = config.ropeScaling;
  if (s?.type !== 'llama3') return undefined;
  const dim = config.headDim;
  const lowWavelen = s.originalContextLength / s.lowFreqFactor;
  const highWavelen = s.originalContextLength / s.highFreqFactor;
  const out = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) {
    const freq = Math.fround(1 / Math.fround(config.ropeTheta ** Math.fround((2 * i) / dim)));
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) out[i] = 1;
    else if (wavelen > lowWavelen) out[i] = s.factor;
    else {
      const smooth = (s.originalContextLength / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      out[i] = 1 / ((1 - smooth) / s.factor + smooth);
    }
  }
  return out;
}
