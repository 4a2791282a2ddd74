// OpenAI-style hyperparameters ("auto" or a value), presets, and the trainer's job config.
import { autoHyperparameters, resolveAdvanced, type ResolvedHyperparameters, type TCheckpointSelection, type TEarlyStopping, type THyperparameters, type TPreset } from '@/lib/universal/hyperparameters';

const BASE_LEARNING_RATE = 2e-4;

/**
 * "auto" follows the one rule in lib/universal/hyperparameters.ts (model width and dataset size);
 * presets shift it: quick is one epoch, thorough doubles the epochs at half the learning rate.
 */
export function resolveHyperparameters(opts: { requested?: THyperparameters; preset?: TPreset; examples: number; trainedTokens: number; hiddenSize?: number | null; contextLength?: number | null }): ResolvedHyperparameters {
  const derived = autoHyperparameters({ examples: Math.max(1, opts.examples), trainedTokens: opts.trainedTokens, hiddenSize: opts.hiddenSize });
  const preset = opts.preset ?? 'standard';
  const presetEpochs = preset === 'quick' ? 1 : preset === 'thorough' ? Math.min(100, derived.epochs * 2) : derived.epochs;
  const presetMultiplier = preset === 'thorough' ? 0.5 : 1;
  const r = opts.requested ?? {};
  const n_epochs = typeof r.n_epochs === 'number' ? r.n_epochs : presetEpochs;
  const batch_size = typeof r.batch_size === 'number' ? r.batch_size : derived.batchSize;
  const autoMultiplier = (derived.learningRate / BASE_LEARNING_RATE) * presetMultiplier;
  const learning_rate_multiplier = typeof r.learning_rate_multiplier === 'number' ? r.learning_rate_multiplier : Number(autoMultiplier.toPrecision(3));
  return {
    n_epochs,
    batch_size,
    learning_rate_multiplier,
    learning_rate: Number((BASE_LEARNING_RATE * learning_rate_multiplier).toPrecision(4)),
    ...resolveAdvanced(r, opts.contextLength),
  };
}

export type TrainerConfigOptions = {
  hyperparameters: ResolvedHyperparameters;
  seed: number;
  sequenceLength: number;
  baseModelName: string;
  examples: number;
  earlyStopping?: TEarlyStopping | null;
  selectCheckpoint?: TCheckpointSelection | null;
};

/** The trainer's config JSON (the trainer's README documents every field). */
export function trainerConfig({ hyperparameters, seed, sequenceLength, baseModelName, examples, earlyStopping, selectCheckpoint }: TrainerConfigOptions) {
  const stepsPerEpoch = Math.max(1, Math.ceil(examples / hyperparameters.batch_size));
  const totalSteps = stepsPerEpoch * hyperparameters.n_epochs;
  return {
    epochs: hyperparameters.n_epochs,
    batch_size: hyperparameters.batch_size,
    learning_rate: hyperparameters.learning_rate,
    warmup_ratio: hyperparameters.warmup_ratio,
    scheduler: hyperparameters.lr_scheduler,
    lora: { rank: hyperparameters.lora_rank, alpha: hyperparameters.lora_alpha, dropout: hyperparameters.lora_dropout, target_modules: hyperparameters.lora_target_modules },
    seed,
    sequence_length: sequenceLength,
    // About ten evaluations and ten checkpoints per job, whatever its length.
    eval_interval: Math.max(1, Math.floor(totalSteps / 10)),
    checkpoint_interval: Math.max(1, Math.floor(totalSteps / 10)),
    checkpoints_to_keep: 3,
    log_interval: 1,
    base_model_name: baseModelName,
    ...(earlyStopping ? { early_stopping_patience: earlyStopping.patience, early_stopping_min_delta: earlyStopping.min_delta } : {}),
    ...(selectCheckpoint ? { final_adapter: selectCheckpoint } : {}),
  };
}
