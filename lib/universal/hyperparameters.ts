// What a fine-tune can be asked for: OpenAI-style hyperparameters ("auto" or a value) and the
// presets. Browser-safe: the new-job form validates with the same schema as the API.
import { z } from 'zod';

const auto = z.literal('auto');

/** The linear layers of a Llama-family block that LoRA can adapt, in the trainer's order. */
export const LORA_TARGET_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type TLoraTargetModule = (typeof LORA_TARGET_MODULES)[number];

export const LR_SCHEDULERS = ['cosine', 'linear', 'constant'] as const;
export type TLrScheduler = (typeof LR_SCHEDULERS)[number];

/**
 * Bounds of Lathe's own settings beyond OpenAI's three (LoRA shape, sequence length, schedule).
 * The trainer accepts wider ranges; these keep a job within what trains sensibly.
 */
export const ADVANCED_LIMITS = {
  lora_rank: { min: 1, max: 256 },
  lora_alpha: { max: 1024 },
  lora_dropout: { min: 0, max: 0.5 },
  max_sequence_length: { min: 16, max: 32_768 },
  warmup_ratio: { min: 0, max: 0.5 },
} as const;

/** What "auto" means for each of them (content/docs/hyperparameters.mdx explains the choices). */
export const ADVANCED_AUTO = {
  lora_rank: 16,
  /** Twice the rank: LoRA's scaling alpha/r stays 2 whatever the rank, which the learning-rate rule assumes. */
  loraAlphaPerRank: 2,
  lora_dropout: 0.05,
  lora_target_modules: LORA_TARGET_MODULES,
  lr_scheduler: 'cosine',
  warmup_ratio: 0.03,
  /** The longest sequence "auto" trains: the model's context length, at most this. */
  maxSequenceLength: 2048,
} as const;

const L = ADVANCED_LIMITS;

export const ZHyperparameters = z
  .object({
    n_epochs: z.union([auto, z.number().int().min(1).max(100)]).optional(),
    batch_size: z.union([auto, z.number().int().min(1).max(256)]).optional(),
    learning_rate_multiplier: z.union([auto, z.number().positive().max(100)]).optional(),
    // Lathe's own, as LlamaBoard and Axolotl name them.
    lora_rank: z.union([auto, z.number().int().min(L.lora_rank.min).max(L.lora_rank.max)]).optional(),
    lora_alpha: z.union([auto, z.number().positive().max(L.lora_alpha.max)]).optional(),
    lora_dropout: z.union([auto, z.number().min(L.lora_dropout.min).max(L.lora_dropout.max)]).optional(),
    lora_target_modules: z
      .union([
        auto,
        z
          .array(z.enum(LORA_TARGET_MODULES))
          .min(1)
          .max(LORA_TARGET_MODULES.length)
          .refine((list) => new Set(list).size === list.length, 'name each module once'),
      ])
      .optional(),
    max_sequence_length: z.union([auto, z.number().int().min(L.max_sequence_length.min).max(L.max_sequence_length.max)]).optional(),
    lr_scheduler: z.union([auto, z.enum(LR_SCHEDULERS)]).optional(),
    warmup_ratio: z.union([auto, z.number().min(L.warmup_ratio.min).max(L.warmup_ratio.max)]).optional(),
  })
  .strict();
export type THyperparameters = z.infer<typeof ZHyperparameters>;

/** The settings that shape the adapter itself: a job that continues a fine-tuned model keeps that adapter's. */
export const ADAPTER_SHAPE_FIELDS = ['lora_rank', 'lora_alpha', 'lora_target_modules'] as const;

export const ZPreset = z.enum(['quick', 'standard', 'thorough']);
export type TPreset = z.infer<typeof ZPreset>;

export type ResolvedHyperparameters = {
  n_epochs: number;
  batch_size: number;
  learning_rate_multiplier: number;
  learning_rate: number;
  lora_rank: number;
  lora_alpha: number;
  lora_dropout: number;
  lora_target_modules: TLoraTargetModule[];
  max_sequence_length: number;
  lr_scheduler: TLrScheduler;
  warmup_ratio: number;
};

/** The advanced settings with "auto" resolved; the maximum sequence length needs the model's context length (null: unknown). */
export function resolveAdvanced(requested: THyperparameters, contextLength: number | null | undefined): Omit<ResolvedHyperparameters, 'n_epochs' | 'batch_size' | 'learning_rate_multiplier' | 'learning_rate'> {
  const A = ADVANCED_AUTO;
  const pick = <T>(value: T | 'auto' | undefined, fallback: T): T => (value === undefined || value === 'auto' ? fallback : value);
  const lora_rank = pick(requested.lora_rank, A.lora_rank);
  const targets = pick<readonly TLoraTargetModule[]>(requested.lora_target_modules, A.lora_target_modules);
  return {
    lora_rank,
    lora_alpha: pick(requested.lora_alpha, lora_rank * A.loraAlphaPerRank),
    lora_dropout: pick(requested.lora_dropout, A.lora_dropout),
    // In the trainer's order, whatever order they were given in.
    lora_target_modules: LORA_TARGET_MODULES.filter((m) => targets.includes(m)),
    max_sequence_length: pick(requested.max_sequence_length, Math.min(contextLength && contextLength > 0 ? contextLength : A.maxSequenceLength, A.maxSequenceLength)),
    lr_scheduler: pick<TLrScheduler>(requested.lr_scheduler, A.lr_scheduler),
    warmup_ratio: pick(requested.warmup_ratio, A.warmup_ratio),
  };
}

/** What "auto" knows about the job: the training file's size and the base model's width. */
export interface AutoInputs {
  /** Examples in the training file. */
  examples: number;
  /** Trained (assistant) tokens of the training file, one epoch. */
  trainedTokens: number;
  /** The base model's hidden size (config.json `hidden_size`); unknown widths count as 4096. */
  hiddenSize?: number | null;
  /** Most trained tokens x epochs that "auto" lets one job reach. Default 100 million. */
  maxBilledTokens?: number;
}

export interface AutoHyperparameters {
  epochs: number;
  batchSize: number;
  learningRate: number;
}

/**
 * The constants of the one "auto" rule. content/docs/hyperparameters.mdx explains each and where it
 * comes from; change them there too.
 */
export const AUTO_RULE = {
  /** LoRA learning rate at the reference width and batch (QLoRA's 2e-4 for 7B/13B Llama, width 4096, batch 16 with accumulation; Hu et al.'s range). */
  referenceLearningRate: 2e-4,
  referenceWidth: 4096,
  referenceBatch: 8,
  minLearningRate: 1e-5,
  maxLearningRate: 5e-3,
  /** OpenAI's default of 3 epochs for datasets of ordinary size. */
  targetEpochs: 3,
  /** At least this many optimizer steps in all, so a small dataset is seen often enough to be learned. */
  minTotalSteps: 1000,
  maxEpochs: 50,
  /** Large files: about this many examples seen in all (at least one epoch), as OpenAI does. */
  maxTargetExamples: 25_000,
  maxBatchSize: 256,
  defaultMaxBilledTokens: 100_000_000,
} as const;

/**
 * The values "auto" resolves to:
 * - batch size: about 0.2% of the examples as a power of two (1 to 256), as OpenAI's auto does;
 * - learning rate of LoRA's B matrices (the trainer runs A at 1/16 of it, LoRA+): 2e-4 at width
 *   4096 and batch 8, scaled by 4096/width (muP: Adam's per-weight update must shrink as 1/width for
 *   the change of a layer's output to stay the same size) and by sqrt(batch/8) (the square-root
 *   scaling rule for Adam), kept within 1e-5 to 5e-3;
 * - epochs: 3, raised so the job makes at least 1,000 optimizer steps (at most 50 epochs), lowered
 *   for large files so about 25,000 examples are seen (at least 1), and capped so trained tokens x
 *   epochs stays within maxBilledTokens.
 */
export function autoHyperparameters({ examples, trainedTokens, hiddenSize, maxBilledTokens = AUTO_RULE.defaultMaxBilledTokens }: AutoInputs): AutoHyperparameters {
  if (!Number.isInteger(examples) || examples < 1) throw new RangeError('examples must be a positive integer.');
  if (!Number.isFinite(trainedTokens) || trainedTokens < 0) throw new RangeError('trainedTokens must be >= 0.');
  const R = AUTO_RULE;
  const rawBatch = Math.min(R.maxBatchSize, Math.max(1, Math.round(examples * 0.002)));
  const batchSize = Math.min(2 ** Math.round(Math.log2(rawBatch)), R.maxBatchSize);

  const stepsPerEpoch = Math.ceil(examples / batchSize);
  let epochs: number = R.targetEpochs;
  if (stepsPerEpoch * epochs < R.minTotalSteps) epochs = Math.min(R.maxEpochs, Math.ceil(R.minTotalSteps / stepsPerEpoch));
  else if (examples * epochs > R.maxTargetExamples) epochs = Math.max(1, Math.floor(R.maxTargetExamples / examples));
  if (trainedTokens > 0) epochs = Math.max(1, Math.min(epochs, Math.floor(maxBilledTokens / trainedTokens)));

  const width = hiddenSize && hiddenSize > 0 ? hiddenSize : R.referenceWidth;
  const scaled = R.referenceLearningRate * (R.referenceWidth / width) * Math.sqrt(batchSize / R.referenceBatch);
  const learningRate = Number(Math.min(R.maxLearningRate, Math.max(R.minLearningRate, scaled)).toPrecision(3));
  return { epochs, batchSize, learningRate };
}

/** The base model's hidden size: from its row's details (recorded at import), else null. */
export function hiddenSizeOf(details: unknown): number | null {
  const value = (details as { hiddenSize?: unknown } | null)?.hiddenSize;
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null;
}

/** Early stopping: end the job after `patience` evaluations without a validation loss lower than the best by more than `min_delta`. */
export const ZEarlyStopping = z
  .object({
    patience: z.number().int().min(1).max(50).default(3),
    min_delta: z.number().min(0).max(10).default(0),
  })
  .strict();
export type TEarlyStopping = z.infer<typeof ZEarlyStopping>;

/** Which adapter becomes the fine-tuned model: the best checkpoint by validation loss, or the last step. Default: best with early stopping, else last. */
export const ZCheckpointSelection = z.enum(['best', 'last']);
export type TCheckpointSelection = z.infer<typeof ZCheckpointSelection>;

/** DPO's temperature on the log-ratios: small values let the policy move far from the base. */
export const DPO_BETA = { min: 0, max: 2, auto: 0.1 } as const;

/** `method.dpo.hyperparameters`: the supervised ones plus beta (above 0, at most 2). */
export const ZDpoHyperparameters = ZHyperparameters.extend({
  beta: z.union([auto, z.number().gt(DPO_BETA.min).max(DPO_BETA.max)]).optional(),
}).strict();
export type TDpoHyperparameters = z.infer<typeof ZDpoHyperparameters>;

export const FINE_TUNE_METHODS = ['supervised', 'dpo'] as const;
export type TFineTuneMethod = (typeof FINE_TUNE_METHODS)[number];
