import os from 'node:os';
import path from 'node:path';
import { ModelError } from './errors';
import { ChunkCodecPool } from './gguf/chunk-codec-pool';
import { GgufMetadata } from './gguf/metadata';
import { encodeFloats, GgufWriter, tensorTypeFor, type GgufTensorPlan, type GgufWritableType } from './gguf/gguf-writer';
import { LLAMA_FILE_TYPE } from './gguf/constants';
import { llama3RopeFactors, readModelConfig, type LlamaFamilyConfig } from './hf-config';
import { readFolderLicense } from './inspect-model';
import { permuteHeadRows, planModelLayout } from './model-layout';
import { openPeftAdapter, type LoraModule, type PeftAdapter } from './peft-adapter';
import { Checkpoint, numel, type SafetensorsDtype } from './safetensors';
import { addTokenizerMetadata, type TokenizerSummary } from './tokenizer-metadata';

export type GgufExportType = GgufWritableType;

export interface ExportProgress {
  tensor: string;
  tensorsDone: number;
  tensorsTotal: number;
  bytesWritten: number;
  bytesTotal: number;
}

export interface ExportResult {
  outFile: string;
  bytes: number;
  tensorCount: number;
  architecture: string;
  type: GgufExportType;
  tokenizer?: TokenizerSummary;
}

export interface ExportModelOptions {
  modelDir: string;
  outFile: string;
  type: GgufExportType;
  /** general.name; defaults to the folder name. */
  name?: string;
  onProgress?: (progress: ExportProgress) => void;
  signal?: AbortSignal;
  /**
   * Worker threads converting tensor slices. Default: none on hosts with fewer than 4 cores or for
   * checkpoints under 64 MB (each worker costs tens of MB), else up to 4, leaving 2 cores for I/O.
   */
  threads?: number;
}

export interface ExportAdapterOptions {
  baseModelDir: string;
  adapterDir: string;
  outFile: string;
  name?: string;
  onProgress?: (progress: ExportProgress) => void;
  signal?: AbortSignal;
}

export interface MergeAdapterOptions extends ExportModelOptions {
  adapterDir: string;
}

// Tensors are streamed in slices of about this many values so that peak memory is a few tens of
// megabytes whatever the model size (the slice in its source dtype, as float32, and encoded).
const CHUNK_ELEMENTS = 1024 * 1024;

interface StreamedTensor {
  plan: GgufTensorPlan;
  rows: number;
  rowElems: number;
  /** Slices must start and end on multiples of this many rows (whole RoPE heads when permuting). */
  rowGroup: number;
  /** Slices that need only decoding, RoPE reordering and encoding: done on worker threads. */
  raw?: { dtype: SafetensorsDtype; permuteHeadRows?: number; read: (rowStart: number, rowEnd: number) => Promise<Uint8Array> };
  /** Slices computed here (LoRA merges, generated tensors). */
  read?: (rowStart: number, rowEnd: number) => Promise<Float32Array>;
}

export async function exportModelToGguf(options: ExportModelOptions): Promise<ExportResult> {
  return exportFullModel(options);
}

/** Base model plus a LoRA adapter folded into the weights (W + scale·B·A), as one GGUF for download. */
export async function mergeAdapterToGguf(options: MergeAdapterOptions): Promise<ExportResult> {
  return exportFullModel(options, options.adapterDir);
}

async function exportFullModel(options: ExportModelOptions, adapterDir?: string): Promise<ExportResult> {
  assertType(options.type);
  const config = await readModelConfig(options.modelDir);
  const checkpoint = await Checkpoint.open(options.modelDir);
  let adapter: PeftAdapter | undefined;
  try {
    const layout = planModelLayout(config, checkpoint);
    if (adapterDir) adapter = await openPeftAdapter(adapterDir, config);
    const metadata = modelMetadata(config, options.type, options.name ?? path.basename(path.resolve(options.modelDir)), await readFolderLicense(options.modelDir));
    const tokenizer = await addTokenizerMetadata(options.modelDir, metadata, {
      vocabSize: config.vocabSize,
      configBosId: config.bosTokenId,
      configEosId: config.eosTokenId,
    });

    const loraByTensor = new Map<string, LoraModule>(adapter?.modules.map((m) => [m.ggufName, m]) ?? []);
    const tensors: StreamedTensor[] = [];
    const ropeFactors = llama3RopeFactors(config);
    for (const t of layout) {
      const rows = t.shape[0]!;
      const rowElems = t.shape.length > 1 ? numel(t.shape.slice(1)) : 1;
      const ne = [...t.shape].reverse();
      const lora = loraByTensor.get(t.ggufName);
      const loraFactors = lora && adapter ? await loadLora(adapter, lora) : undefined;
      const plan = { name: t.ggufName, ne, type: tensorTypeFor(options.type, t.ggufName, ne) };
      if (loraFactors) {
        tensors.push({
          plan,
          rows,
          rowElems,
          rowGroup: t.permuteHeadRows ?? 1,
          read: async (start, end) => {
            const data = addLoraDelta(await checkpoint.readRowsF32(t.hfName, start, end), loraFactors, start, end);
            return t.permuteHeadRows ? permuteHeadRows(data, rowElems, t.permuteHeadRows) : data;
          },
        });
      } else {
        tensors.push({
          plan,
          rows,
          rowElems,
          rowGroup: t.permuteHeadRows ?? 1,
          raw: { dtype: checkpoint.require(t.hfName).dtype, permuteHeadRows: t.permuteHeadRows, read: (start, end) => checkpoint.readRowsRaw(t.hfName, start, end) },
        });
      }
      if (t.ggufName === 'token_embd.weight' && ropeFactors) {
        tensors.push({ plan: { name: 'rope_freqs.weight', ne: [ropeFactors.length], type: 'F32' }, rows: ropeFactors.length, rowElems: 1, rowGroup: 1, read: async () => ropeFactors });
      }
    }
    // A LoRA on lm_head of a tied-embedding model needs its own output tensor once merged.
    const headLora = loraByTensor.get('output.weight');
    if (headLora && !tensors.some((t) => t.plan.name === 'output.weight')) {
      const factors = await loadLora(adapter!, headLora);
      const ne = [config.hiddenSize, config.vocabSize];
      tensors.push({
        plan: { name: 'output.weight', ne, type: tensorTypeFor(options.type, 'output.weight', ne) },
        rows: config.vocabSize,
        rowElems: config.hiddenSize,
        rowGroup: 1,
        read: async (start, end) => addLoraDelta(await checkpoint.readRowsF32('model.embed_tokens.weight', start, end), factors, start, end),
      });
    }
    const inputBytes = [...checkpoint.tensors.values()].reduce((sum, t) => sum + t.byteLength, 0);
    const cores = os.availableParallelism();
    const threads = options.threads ?? (inputBytes > 64e6 && cores >= 4 ? Math.min(4, cores - 2) : 0);
    const { bytes } = await streamTensors(options.outFile, metadata, tensors, { onProgress: options.onProgress, signal: options.signal, threads });
    return { outFile: options.outFile, bytes, tensorCount: tensors.length, architecture: config.ggufArch, type: options.type, tokenizer };
  } finally {
    await adapter?.checkpoint.close();
    await checkpoint.close();
  }
}

/**
 * PEFT LoRA adapter to a llama.cpp LoRA GGUF: blk.N.<tensor>.weight.lora_a (ne [in, r]) and .lora_b
 * (ne [r, out]); q/k lora_b rows get the same RoPE reordering as the base weights.
 */
export async function exportAdapterToGguf(options: ExportAdapterOptions): Promise<ExportResult> {
  const config = await readModelConfig(options.baseModelDir);
  const adapter = await openPeftAdapter(options.adapterDir, config);
  try {
    if (config.tieWordEmbeddings && adapter.modules.some((m) => m.ggufName === 'output.weight')) {
      throw new ModelError('invalid_adapter', 'a LoRA on lm_head of a tied-embedding model can only be merged, not loaded as an adapter');
    }
    const metadata = new GgufMetadata()
      .string('general.architecture', config.ggufArch)
      .string('general.type', 'adapter')
      .string('general.name', options.name ?? path.basename(path.resolve(options.adapterDir)))
      .string('adapter.type', 'lora')
      .f32('adapter.lora.alpha', adapter.alpha);
    const tensors: StreamedTensor[] = [];
    for (const m of adapter.modules) {
      // llama.cpp scales every adapter tensor by alpha / rank; modules whose PEFT scale differs
      // (rsLoRA, per-module rank or alpha patterns) carry the difference inside lora_b.
      const correction = m.scale / (adapter.alpha / m.rank);
      const permute = config.permuteQK && /\.attn_[qk]\.weight$/.test(m.ggufName) ? config.headDim : undefined;
      tensors.push({
        plan: { name: `${m.ggufName}.lora_a`, ne: [m.inFeatures, m.rank], type: 'F32' },
        rows: m.rank,
        rowElems: m.inFeatures,
        rowGroup: 1,
        read: (start, end) => adapter.checkpoint.readRowsF32(m.aName, start, end),
      });
      tensors.push({
        plan: { name: `${m.ggufName}.lora_b`, ne: [m.rank, m.outFeatures], type: 'F32' },
        rows: m.outFeatures,
        rowElems: m.rank,
        rowGroup: permute ?? 1,
        read: async (start, end) => {
          let data = await adapter.checkpoint.readRowsF32(m.bName, start, end);
          if (Math.abs(correction - 1) > 1e-12) data = data.map((v) => v * correction);
          return permute ? permuteHeadRows(data, m.rank, permute) : data;
        },
      });
    }
    const { bytes } = await streamTensors(options.outFile, metadata, tensors, { onProgress: options.onProgress, signal: options.signal, threads: 0 });
    return { outFile: options.outFile, bytes, tensorCount: tensors.length, architecture: config.ggufArch, type: 'F32' };
  } finally {
    await adapter.checkpoint.close();
  }
}

function assertType(type: string): asserts type is GgufExportType {
  if (type !== 'F32' && type !== 'F16' && type !== 'Q8_0') throw new ModelError('conversion_failed', `GGUF type ${JSON.stringify(type)} is not supported (F32, F16, Q8_0)`);
}

function modelMetadata(c: LlamaFamilyConfig, type: GgufExportType, name: string, license?: string): GgufMetadata {
  const a = c.ggufArch;
  const m = new GgufMetadata()
    .string('general.architecture', a)
    .string('general.type', 'model')
    .string('general.name', name)
    .u32('general.file_type', LLAMA_FILE_TYPE[type])
    .u32('general.quantization_version', 2);
  if (license) m.string('general.license', license);
  m.u32(`${a}.vocab_size`, c.vocabSize)
    .u32(`${a}.context_length`, c.contextLength)
    .u32(`${a}.embedding_length`, c.hiddenSize)
    .u32(`${a}.block_count`, c.numLayers)
    .u32(`${a}.feed_forward_length`, c.intermediateSize)
    .u32(`${a}.attention.head_count`, c.numHeads)
    .u32(`${a}.attention.head_count_kv`, c.numKvHeads)
    .f32(`${a}.attention.layer_norm_rms_epsilon`, c.rmsNormEps)
    .f32(`${a}.rope.freq_base`, c.ropeTheta)
    .u32(`${a}.rope.dimension_count`, c.headDim);
  if (c.explicitHeadDim) m.u32(`${a}.attention.key_length`, c.headDim).u32(`${a}.attention.value_length`, c.headDim);
  const s = c.ropeScaling;
  if (s?.type === 'linear') m.string(`${a}.rope.scaling.type`, 'linear').f32(`${a}.rope.scaling.factor`, s.factor);
  if (s?.type === 'yarn') {
    m.string(`${a}.rope.scaling.type`, 'yarn').f32(`${a}.rope.scaling.factor`, s.factor).u32(`${a}.rope.scaling.original_context_length`, s.originalContextLength);
    if (s.betaFast !== undefined) m.f32(`${a}.rope.scaling.yarn_beta_fast`, s.betaFast);
    if (s.betaSlow !== undefined) m.f32(`${a}.rope.scaling.yarn_beta_slow`, s.betaSlow);
    if (s.attentionFactor !== undefined) m.f32(`${a}.rope.scaling.yarn_attn_factor`, s.attentionFactor);
  }
  return m;
}

interface LoraFactors {
  a: Float32Array;
  b: Float32Array;
  rank: number;
  inFeatures: number;
  scale: number;
}

export async function loadLora(adapter: PeftAdapter, m: LoraModule): Promise<LoraFactors> {
  return { a: await adapter.checkpoint.readF32(m.aName), b: await adapter.checkpoint.readF32(m.bName), rank: m.rank, inFeatures: m.inFeatures, scale: m.scale };
}

/** W[start:end] + scale · B[start:end] · A, computed in float64 accumulators then stored as float32. */
export function addLoraDelta(w: Float32Array, f: LoraFactors, start: number, end: number): Float32Array {
  const out = new Float32Array(w);
  const acc = new Float64Array(f.inFeatures);
  for (let row = start; row < end; row++) {
    acc.fill(0);
    for (let k = 0; k < f.rank; k++) {
      const coef = f.b[row * f.rank + k]! * f.scale;
      if (coef === 0) continue;
      const aRow = k * f.inFeatures;
      for (let col = 0; col < f.inFeatures; col++) acc[col]! += coef * f.a[aRow + col]!;
    }
    const base = (row - start) * f.inFeatures;
    for (let col = 0; col < f.inFeatures; col++) out[base + col] = out[base + col]! + acc[col]!;
  }
  return out;
}

async function streamTensors(
  outFile: string,
  metadata: GgufMetadata,
  tensors: StreamedTensor[],
  options: { onProgress?: (p: ExportProgress) => void; signal?: AbortSignal; threads: number },
): Promise<{ bytes: number }> {
  const writer = await GgufWriter.create(outFile, { metadata, tensors: tensors.map((t) => t.plan) });
  const pool = new ChunkCodecPool(options.threads);
  const bytesTotal = tensors.reduce((sum, t) => sum + encodedBytes(t.plan), 0);
  // Slices are read and converted ahead (a few per worker) and written strictly in order.
  const depth = 2 * options.threads + 4;
  const window: Array<{ tensor: StreamedTensor; index: number; end: number; bytes: Promise<Uint8Array> }> = [];
  let bytesWritten = 0;
  const flush = async () => {
    const next = window.shift()!;
    const bytes = await next.bytes;
    await writer.write(next.tensor.plan.name, bytes);
    bytesWritten += bytes.byteLength;
    const t = next.tensor;
    options.onProgress?.({ tensor: t.plan.name, tensorsDone: next.index + (next.end === t.rows ? 1 : 0), tensorsTotal: tensors.length, bytesWritten, bytesTotal });
  };
  try {
    for (const [index, t] of tensors.entries()) {
      const rowsPerChunk = Math.max(t.rowGroup, Math.floor(CHUNK_ELEMENTS / t.rowElems / t.rowGroup) * t.rowGroup);
      for (let start = 0; start < t.rows; start += rowsPerChunk) {
        if (options.signal?.aborted) throw new ModelError('aborted', 'conversion was cancelled');
        const end = Math.min(t.rows, start + rowsPerChunk);
        const raw = t.raw;
        const bytes = raw
          ? raw.read(start, end).then((data) =>
              pool.run({ name: t.plan.name, dtype: raw.dtype, raw: data, rowElems: t.rowElems, permuteHeadRows: raw.permuteHeadRows, outType: t.plan.type }),
            )
          : t.read!(start, end).then((values) => encodeFloats(t.plan.type, values));
        bytes.catch(() => undefined);
        window.push({ tensor: t, index, end, bytes });
        if (window.length >= depth) await flush();
      }
    }
    while (window.length) await flush();
    return await writer.finish();
  } catch (error) {
    await Promise.allSettled(window.map((w) => w.bytes));
    await writer.abort();
    throw error;
  } finally {
    await pool.close();
  }
}

function encodedBytes(plan: GgufTensorPlan): number {
  const n = numel(plan.ne);
  return plan.type === 'F32' ? n * 4 : plan.type === 'F16' ? n * 2 : (n / 32) * 34;
}
