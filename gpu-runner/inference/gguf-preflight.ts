// Checks a base GGUF and LoRA adapter GGUFs in JavaScript before llama.cpp sees them. llama.cpp
// aborts the whole process on some malformed files (a missing feed_forward_length, say), which
// would take every adapter served here down with it; these checks turn the known causes into a
// clear error instead.
import { access } from 'node:fs/promises';
import path from 'node:path';
import { readGgufHeader, type GgufHeader } from '../../server/services/model-format/gguf/gguf-reader';
import { isModelError } from '../../server/services/model-format/errors';

export type GgufCheckCode = 'gguf_not_found' | 'bad_gguf' | 'adapter_mismatch';

export class GgufCheckError extends Error {
  constructor(
    readonly code: GgufCheckCode,
    message: string,
  ) {
    super(message);
    this.name = 'GgufCheckError';
  }
}

export interface BaseGgufSummary {
  architecture: string;
  name?: string;
  chatTemplate?: string;
  vocabularySize: number;
  /** Tensor name -> dimensions (ne, innermost first), to check adapters against. */
  tensorShapes: Map<string, number[]>;
}

// Architectures whose llama.cpp loader does not need the attention and feed-forward keys.
const RECURRENT_ARCHITECTURES = new Set(['mamba', 'mamba2', 'rwkv6', 'rwkv6qwen2', 'rwkv7', 'arwkv7']);

async function readHeader(file: string, what: string): Promise<GgufHeader> {
  try {
    await access(file);
  } catch {
    throw new GgufCheckError('gguf_not_found', `The ${what} GGUF ${file} does not exist or cannot be read.`);
  }
  try {
    return await readGgufHeader(file, { keepArraysUpTo: 0 });
  } catch (error) {
    if (isModelError(error, 'corrupt_gguf')) throw new GgufCheckError('bad_gguf', error.message);
    throw error;
  }
}

function describeFile(file: string): string {
  return path.basename(file);
}

/** Validates a base model GGUF: structure, tensor bounds, and the keys llama.cpp cannot do without. */
export async function checkBaseGguf(file: string): Promise<BaseGgufSummary> {
  const header = await readHeader(file, 'model');
  const meta = header.metadata;
  const arch = meta['general.architecture'];
  if (typeof arch !== 'string' || arch === '') throw new GgufCheckError('bad_gguf', `${describeFile(file)} has no general.architecture.`);
  if (meta['general.type'] === 'adapter') {
    throw new GgufCheckError('bad_gguf', `${describeFile(file)} is a LoRA adapter, not a model; pass it with --adapter.`);
  }
  const required = [`${arch}.context_length`, `${arch}.embedding_length`, `${arch}.block_count`];
  if (!RECURRENT_ARCHITECTURES.has(arch)) required.push(`${arch}.feed_forward_length`, `${arch}.attention.head_count`);
  required.push('tokenizer.ggml.model', 'tokenizer.ggml.tokens');
  const missing = required.filter((key) => meta[key] === undefined);
  if (missing.length > 0) {
    throw new GgufCheckError('bad_gguf', `${describeFile(file)} is missing required metadata: ${missing.join(', ')}.`);
  }
  if (header.tensors.length === 0) throw new GgufCheckError('bad_gguf', `${describeFile(file)} has no tensors.`);
  const chatTemplate = meta['tokenizer.chat_template'];
  const name = meta['general.name'];
  const tokens = meta['tokenizer.ggml.tokens'];
  const vocabularySize = Array.isArray(tokens) ? tokens.length : typeof tokens === 'object' && 'length' in tokens ? tokens.length : 0;
  return {
    architecture: arch,
    name: typeof name === 'string' ? name : undefined,
    chatTemplate: typeof chatTemplate === 'string' && chatTemplate !== '' ? chatTemplate : undefined,
    vocabularySize,
    tensorShapes: new Map(header.tensors.map((t) => [t.name, t.ne])),
  };
}

/**
 * Validates a LoRA adapter GGUF against its base: type keys, alpha (without it llama.cpp loads the
 * adapter and silently scales it wrongly), paired lora_a/lora_b tensors on existing base tensors,
 * and shapes that fit them.
 */
export async function checkAdapterGguf(file: string, base: BaseGgufSummary): Promise<void> {
  const header = await readHeader(file, 'adapter');
  const meta = header.metadata;
  const name = describeFile(file);
  if (meta['general.type'] !== 'adapter' || meta['adapter.type'] !== 'lora') {
    throw new GgufCheckError('bad_gguf', `${name} is not a LoRA adapter GGUF (general.type = "adapter", adapter.type = "lora" expected).`);
  }
  if (meta['general.architecture'] !== base.architecture) {
    throw new GgufCheckError(
      'adapter_mismatch',
      `${name} was made for architecture "${String(meta['general.architecture'])}", the base model is "${base.architecture}".`,
    );
  }
  if (typeof meta['adapter.lora.alpha'] !== 'number') throw new GgufCheckError('bad_gguf', `${name} has no adapter.lora.alpha.`);

  const tensors = new Map(header.tensors.map((t) => [t.name, t.ne]));
  if (tensors.size === 0) throw new GgufCheckError('bad_gguf', `${name} has no tensors.`);
  for (const [tensor, ne] of tensors) {
    const match = /^(.*)\.lora_([ab])$/.exec(tensor);
    if (!match) throw new GgufCheckError('bad_gguf', `${name} has a tensor that is not a LoRA factor: ${tensor}.`);
    if (match[2] === 'b') continue;
    const target = match[1]!;
    const a = ne;
    const b = tensors.get(`${target}.lora_b`);
    if (!b) throw new GgufCheckError('bad_gguf', `${name} has ${tensor} without ${target}.lora_b.`);
    const weight = base.tensorShapes.get(target);
    if (!weight) throw new GgufCheckError('adapter_mismatch', `${name} adapts ${target}, which the base model does not have.`);
    // ggml order: the base weight is [in, out], lora_a [in, r], lora_b [r, out].
    const [inDim, outDim] = weight;
    if (a.length !== 2 || b.length !== 2 || a[0] !== inDim || b[1] !== outDim || a[1] !== b[0]) {
      throw new GgufCheckError(
        'adapter_mismatch',
        `${name}: ${target} has lora_a [${a.join(', ')}] and lora_b [${b.join(', ')}], which do not fit the base weight [${weight.join(', ')}].`,
      );
    }
  }
  for (const tensor of tensors.keys()) {
    if (tensor.endsWith('.lora_b') && !tensors.has(tensor.replace(/\.lora_b$/, '.lora_a'))) {
      throw new GgufCheckError('bad_gguf', `${name} has ${tensor} without its lora_a.`);
    }
  }
}
