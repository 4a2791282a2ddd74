// The base model with a LoRA adapter merged in, in Hugging Face's layout: model.safetensors with the
// base's tensor names and dtypes, config.json, and every tokenizer and generation file of the base,
// loadable by transformers (AutoModelForCausalLM.from_pretrained) and by Lathe's own import.
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ModelError } from './errors';
import { addLoraDelta, loadLora } from './export-gguf';
import { readModelConfig } from './hf-config';
import { f32ToBf16, f32ToF16 } from './numeric';
import { openPeftAdapter, type LoraModule } from './peft-adapter';
import { Checkpoint, float32Bytes, writeSafetensors, type SafetensorsDtype, type SafetensorsWriteTensor } from './safetensors';

export interface MergeToHfOptions {
  modelDir: string;
  adapterDir: string;
  /** Created (under a temporary name, renamed when complete); must not exist. */
  outDir: string;
}

export interface MergeToHfResult {
  outDir: string;
  files: string[];
  mergedTensors: number;
}

/** Weights are rewritten; everything else of the base folder (config, tokenizer, licence) is copied. */
const WEIGHT_FILE = /\.safetensors$|^model\.safetensors\.index\.json$|\.bin$|\.pt$|\.gguf$/;

export async function mergeAdapterToHf({ modelDir, adapterDir, outDir }: MergeToHfOptions): Promise<MergeToHfResult> {
  const config = await readModelConfig(modelDir);
  const checkpoint = await Checkpoint.open(modelDir);
  const adapter = await openPeftAdapter(adapterDir, config).catch(async (error: unknown) => {
    await checkpoint.close();
    throw error;
  });
  const staging = `${outDir}.partial-${randomBytes(4).toString('hex')}`;
  try {
    const byWeight = new Map<string, LoraModule>(adapter.modules.map((m) => [`${m.module}.weight`, m]));
    for (const name of byWeight.keys()) {
      if (!checkpoint.get(name)) {
        // A LoRA on lm_head of a tied-embedding model would need an untied head: not a layout change to make silently.
        throw new ModelError('invalid_adapter', `the adapter changes ${name}, which the base checkpoint does not hold (tied embeddings?); it cannot be merged into this layout`);
      }
    }
    await mkdir(staging, { recursive: true });
    const tensors: SafetensorsWriteTensor[] = [];
    for (const [name, info] of checkpoint.tensors) {
      const lora = byWeight.get(name);
      tensors.push({
        name,
        dtype: info.dtype,
        shape: [...info.shape],
        data: lora
          ? async () => encode(addLoraDelta(await checkpoint.readF32(name), await loadLora(adapter, lora), 0, info.shape[0]!), info.dtype, name)
          : () => checkpoint.readRaw(name),
      });
    }
    await writeSafetensors(path.join(staging, 'model.safetensors'), tensors, { metadata: { format: 'pt' } });
    for (const entry of await readdir(modelDir, { withFileTypes: true })) {
      if (entry.isFile() && !WEIGHT_FILE.test(entry.name)) await copyFile(path.join(modelDir, entry.name), path.join(staging, entry.name));
    }
    await rename(staging, outDir);
    return { outDir, files: (await readdir(outDir)).sort(), mergedTensors: byWeight.size };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  } finally {
    await adapter.checkpoint.close();
    await checkpoint.close();
  }
}

/** Merged values back in the tensor's own dtype, so the folder keeps the base's precision and size. */
function encode(values: Float32Array, dtype: SafetensorsDtype, name: string): Uint8Array {
  if (dtype === 'F32') return float32Bytes(values);
  if (dtype === 'F16' || dtype === 'BF16') {
    const out = new Uint16Array(values.length);
    (dtype === 'F16' ? f32ToF16 : f32ToBf16)(values, out);
    return new Uint8Array(out.buffer);
  }
  throw new ModelError('unsupported_dtype', `tensor ${name} is ${dtype}; only float tensors take a LoRA merge`);
}
