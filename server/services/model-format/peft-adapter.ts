import { existsSync } from 'node:fs';
import path from 'node:path';
import { ModelError } from './errors';
import { readJsonIfExists, type LlamaFamilyConfig } from './hf-config';
import { ggufLinearName } from './model-layout';
import { Checkpoint } from './safetensors';

export interface LoraModule {
  /** Hugging Face module, e.g. model.layers.3.self_attn.q_proj */
  module: string;
  ggufName: string;
  aName: string;
  bName: string;
  rank: number;
  inFeatures: number;
  outFeatures: number;
  /** The factor PEFT multiplies B·A by for this module (alpha / r, or alpha / sqrt(r) with rsLoRA). */
  scale: number;
}

export interface PeftAdapter {
  dir: string;
  rank: number;
  alpha: number;
  targetModules: string[];
  modules: LoraModule[];
  checkpoint: Checkpoint;
}

const PEFT_NAME = /^base_model\.model\.(.+)\.lora_([AB])(?:\.[A-Za-z0-9_-]+)?\.weight$/;

function invalid(message: string, details?: Record<string, unknown>): ModelError {
  return new ModelError('invalid_adapter', message, details);
}

/** Opens a PEFT LoRA adapter folder and checks it against the base model's config. Close its checkpoint when done. */
export async function openPeftAdapter(adapterDir: string, base: LlamaFamilyConfig): Promise<PeftAdapter> {
  const config = await readJsonIfExists(path.join(adapterDir, 'adapter_config.json'));
  if (!config) throw invalid(`no adapter_config.json in ${adapterDir}`, { dir: adapterDir });
  if (config.peft_type !== undefined && config.peft_type !== 'LORA') throw invalid(`adapter type ${String(config.peft_type)} is not LoRA`);
  if (config.use_dora === true) throw invalid('DoRA adapters are not supported by llama.cpp');
  if (config.bias !== undefined && config.bias !== 'none') throw invalid(`adapters that train biases (bias=${String(config.bias)}) are not supported`);
  if (Array.isArray(config.modules_to_save) && config.modules_to_save.length) {
    throw invalid(`adapters with modules_to_save (${config.modules_to_save.join(', ')}) are not supported`);
  }
  const r = config.r;
  const alpha = config.lora_alpha ?? r;
  if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0) throw invalid(`adapter_config.json r must be a positive integer, got ${JSON.stringify(r)}`);
  if (typeof alpha !== 'number' || !(alpha > 0)) throw invalid(`adapter_config.json lora_alpha must be a positive number, got ${JSON.stringify(alpha)}`);
  const rankPattern = (config.rank_pattern ?? {}) as Record<string, number>;
  const alphaPattern = (config.alpha_pattern ?? {}) as Record<string, number>;
  const rslora = config.use_rslora === true;
  const targetModules = Array.isArray(config.target_modules) ? config.target_modules.map(String) : typeof config.target_modules === 'string' ? [config.target_modules] : [];

  if (!existsSync(path.join(adapterDir, 'adapter_model.safetensors'))) {
    const bin = existsSync(path.join(adapterDir, 'adapter_model.bin'));
    throw new ModelError('missing_weights', bin ? 'adapter_model.bin (pickle) is not accepted; save the adapter as safetensors' : `no adapter_model.safetensors in ${adapterDir}`, { dir: adapterDir });
  }
  const checkpoint = await Checkpoint.open(adapterDir, { fileName: 'adapter_model.safetensors' });
  try {
    const pairs = new Map<string, { a?: string; b?: string }>();
    for (const name of checkpoint.tensors.keys()) {
      const m = PEFT_NAME.exec(name);
      if (!m) throw invalid(`unexpected tensor ${name} in adapter (only LoRA A/B matrices of linear layers are supported)`);
      const entry = pairs.get(m[1]!) ?? {};
      if (m[2] === 'A') entry.a = name;
      else entry.b = name;
      pairs.set(m[1]!, entry);
    }
    if (pairs.size === 0) throw invalid('adapter holds no LoRA tensors');
    const modules: LoraModule[] = [];
    for (const [module, { a, b }] of pairs) {
      if (!a || !b) throw invalid(`LoRA module ${module} lacks its ${a ? 'B' : 'A'} matrix`);
      const ggufName = ggufLinearName(module);
      if (!ggufName) throw invalid(`LoRA on ${module} is not supported (attention, MLP and lm_head projections are)`);
      const layer = /^model\.layers\.(\d+)\./.exec(module);
      if (layer && Number(layer[1]) >= base.numLayers) throw new ModelError('shape_mismatch', `adapter targets layer ${layer[1]} but the base model has ${base.numLayers} layers`);
      const shapeA = checkpoint.get(a)!.shape;
      const shapeB = checkpoint.get(b)!.shape;
      const [outFeatures, inFeatures] = baseLinearShape(base, module);
      if (shapeA.length !== 2 || shapeB.length !== 2 || shapeA[1] !== inFeatures || shapeB[0] !== outFeatures || shapeA[0] !== shapeB[1]) {
        throw new ModelError('shape_mismatch', `LoRA ${module}: A [${shapeA.join(', ')}] and B [${shapeB.join(', ')}] do not fit the base weight [${outFeatures}, ${inFeatures}]`, {
          module,
        });
      }
      const rank = shapeA[0]!;
      const key = Object.keys(rankPattern).find((k) => module === k || module.endsWith(`.${k}`));
      const moduleAlpha = alphaPattern[Object.keys(alphaPattern).find((k) => module === k || module.endsWith(`.${k}`)) ?? ''] ?? alpha;
      const expectedRank = key ? rankPattern[key]! : r;
      if (rank !== expectedRank) throw new ModelError('shape_mismatch', `LoRA ${module} has rank ${rank}, adapter_config.json says ${expectedRank}`);
      modules.push({ module, ggufName, aName: a, bName: b, rank, inFeatures, outFeatures, scale: rslora ? moduleAlpha / Math.sqrt(rank) : moduleAlpha / rank });
    }
    modules.sort((x, y) => x.ggufName.localeCompare(y.ggufName, 'en', { numeric: true }));
    return { dir: adapterDir, rank: r, alpha, targetModules, modules, checkpoint };
  } catch (error) {
    await checkpoint.close();
    throw error;
  }
}

function baseLinearShape(c: LlamaFamilyConfig, module: string): [number, number] {
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  if (module === 'lm_head') return [c.vocabSize, c.hiddenSize];
  const leaf = module.split('.').at(-1)!;
  const shapes: Record<string, [number, number]> = {
    q_proj: [q, c.hiddenSize],
    k_proj: [kv, c.hiddenSize],
    v_proj: [kv, c.hiddenSize],
    o_proj: [c.hiddenSize, q],
    gate_proj: [c.intermediateSize, c.hiddenSize],
    up_proj: [c.intermediateSize, c.hiddenSize],
    down_proj: [c.hiddenSize, c.intermediateSize],
  };
  return shapes[leaf]!;
}
