import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ModelError } from './errors';
import { readJsonIfExists, readModelConfig, type LlamaFamilyConfig } from './hf-config';
import { planModelLayout } from './model-layout';
import { Checkpoint, numel, type SafetensorsDtype } from './safetensors';
import { detectBpePreTokenizer, readFolderChatTemplate } from './tokenizer-metadata';

export interface HfFolderInspection {
  /** Hugging Face class, e.g. LlamaForCausalLM. */
  architecture: string;
  /** llama, mistral or qwen2 (SmolLM2 and TinyLlama are llama). */
  family: string;
  /** general.architecture of the GGUF this folder converts to. */
  ggufArchitecture: string;
  parameters: number;
  contextLength: number;
  /** Width of the residual stream (config.json hidden_size); "auto" scales the learning rate by it. */
  hiddenSize: number;
  hasChatTemplate: boolean;
  chatTemplate?: string;
  license?: string;
  sizeBytes: number;
  dtype: string;
  tokenizer: 'bpe' | 'sentencepiece';
  /** Why the trainer cannot fine-tune this model although it can be served; null when it can. */
  trainingBlocker: string | null;
}

const TORCH_DTYPE: Partial<Record<SafetensorsDtype, string>> = { BF16: 'bfloat16', F16: 'float16', F32: 'float32', F64: 'float64' };

/**
 * Validates a Hugging Face model folder and describes it for the registry. Throws ModelError with
 * missing_config, missing_weights, missing_tokenizer, unsupported_architecture, unsupported_tokenizer,
 * shape_mismatch or corrupt_safetensors; reads only headers, never the weights themselves.
 */
export async function inspectHfFolder(dir: string): Promise<HfFolderInspection> {
  if (!existsSync(dir)) throw new ModelError('missing_config', `folder ${dir} does not exist`, { dir });
  const config = await readModelConfig(dir);
  const entries = await readdir(dir);
  if (!entries.some((e) => e.endsWith('.safetensors'))) {
    const pickle = entries.find((e) => /\.(bin|pt|pth)$/.test(e));
    throw new ModelError(
      'missing_weights',
      pickle ? `${dir} has only PyTorch pickle weights (${pickle}); Lathe imports safetensors` : `no .safetensors weights in ${dir}`,
      { dir },
    );
  }
  const checkpoint = await Checkpoint.open(dir);
  let parameters = 0;
  const dtypeCounts = new Map<SafetensorsDtype, number>();
  try {
    for (const t of planModelLayout(config, checkpoint)) {
      const n = numel(t.shape);
      parameters += n;
      const dtype = checkpoint.get(t.hfName)!.dtype;
      dtypeCounts.set(dtype, (dtypeCounts.get(dtype) ?? 0) + n);
    }
  } finally {
    await checkpoint.close();
  }
  const tokenizer = await checkTokenizer(dir);
  const chatTemplate = await readFolderChatTemplate(dir);
  const dominant = [...dtypeCounts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return {
    architecture: config.architecture,
    family: config.family,
    ggufArchitecture: config.ggufArch,
    parameters,
    contextLength: config.contextLength,
    hiddenSize: config.hiddenSize,
    hasChatTemplate: Boolean(chatTemplate),
    chatTemplate,
    license: await readFolderLicense(dir),
    sizeBytes: await folderSize(dir),
    dtype: (dominant && TORCH_DTYPE[dominant]) ?? config.torchDtype ?? 'unknown',
    tokenizer,
    trainingBlocker: trainingBlocker(config),
  };
}

/** What llama.cpp serves but the trainer does not train (its modelconfig.py refuses the same). */
function trainingBlocker(config: LlamaFamilyConfig): string | null {
  if (config.ropeScaling?.type === 'yarn') return 'its YaRN RoPE scaling is served but not fine-tuned; the trainer supports default, linear and llama3 scaling';
  return null;
}

async function checkTokenizer(dir: string): Promise<'bpe' | 'sentencepiece'> {
  const json = await readJsonIfExists(path.join(dir, 'tokenizer.json')).catch((error: unknown) => {
    throw new ModelError('unsupported_tokenizer', `tokenizer.json is unreadable: ${(error as Error).message}`);
  });
  if (existsSync(path.join(dir, 'tokenizer.model'))) return 'sentencepiece';
  if (!json) throw new ModelError('missing_tokenizer', `no tokenizer.json or tokenizer.model in ${dir}`, { dir });
  const model = json.model as { type?: string; byte_fallback?: boolean } | undefined;
  if (model?.type !== 'BPE') throw new ModelError('unsupported_tokenizer', `tokenizer model type ${JSON.stringify(model?.type)} is not supported (BPE and SentencePiece are)`);
  if (model.byte_fallback) return 'sentencepiece';
  detectBpePreTokenizer(json.pre_tokenizer as Record<string, unknown> | null | undefined);
  return 'bpe';
}

/** The licence from README.md's YAML front matter (`license: apache-2.0`), else config.json's `license`. */
export async function readFolderLicense(dir: string): Promise<string | undefined> {
  const readme = path.join(dir, 'README.md');
  if (existsSync(readme)) {
    const text = await readFile(readme, 'utf8');
    const front = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
    const line = front?.[1]?.split(/\r?\n/).find((l) => /^license\s*:/.test(l));
    const value = line?.replace(/^license\s*:\s*/, '').replace(/^["']|["']$/g, '').trim();
    if (value) return value;
  }
  const config = await readJsonIfExists(path.join(dir, 'config.json')).catch(() => undefined);
  return typeof config?.license === 'string' ? config.license : undefined;
}

async function folderSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await folderSize(full);
    else if (entry.isFile()) total += (await stat(full)).size;
  }
  return total;
}
