// OpenAI-style hyperparameters ("auto" or a value), presets, and the trainer's job config.
import type { ResolvedHyperparameters, THyperparameters, TPreset } from '@/lib/universal/hyperparameters';
import { autoHyperparameters } from '@/server/services/datasets/estimate-cost';

const BASE_LEARNING_RATE = 2e-4;

/** "auto" derives epochs, batch size and learning rate from the dataset's size; presets shift them. */
export function resolveHyperparameters(opts: { requested?: THyperparameters; preset?: TPreset; examples: number; trainedTokens: number }): ResolvedHyperparameters {
  const derived = autoHyperparameters({ examples: Math.max(1, opts.examples), trainedTokens: opts.trainedTokens });
  const preset = opts.preset ?? 'standard';
  const presetEpochs = preset === 'quick' ? 1 : preset === 'thorough' ? Math.min(25, derived.epochs * 2) : derived.epochs;
  const presetMultiplier = preset === 'thorough' ? 0.5 : 1;
  const r = opts.requested ?? {};
  const n_epochs = typeof r.n_epochs === 'number' ? r.n_epochs : presetEpochs;
  const batch_size = typeof r.batch_size === 'number' ? r.batch_size : derived.batchSize;
  const autoMultiplier = (derived.learningRate / BASE_LEARNING_RATE) * presetMultiplier;
  const learning_rate_multiplier = typeof r.learning_rate_multiplier === 'number' ? r.learning_rate_multiplier : Number(autoMultiplier.toPrecision(3));
  return { n_epochs, batch_size, learning_rate_multiplier, learning_rate: Number((BASE_LEARNING_RATE * learning_rate_multiplier).toPrecision(4)) };
}

export type TrainerConfigOptions = {
  hyperparameters: ResolvedHyperparameters;
  seed: number;
  sequenceLength: number;
  baseModelName: string;
  examples: number;
};

/** The trainer's config JSON (the trainer's README documents every field). */
export function trainerConfig({ hyperparameters, seed, sequenceLength, baseModelName, examples }: TrainerConfigOptions) {
  const stepsPerEpoch = Math.max(1, Math.ceil(examples / hyperparameters.batch_size));
  const totalSteps = stepsPerEpoch * hyperparameters.n_epochs;
  return {
    epochs: hyperparameters.n_epochs,
    batch_size: hyperparameters.batch_size,
    learning_rate: hyperparameters.learning_rate,
    warmup_ratio: 0.03,
    scheduler: 'cosine',
    seed,
    sequence_length: sequenceLength,
    // About ten evaluations and ten checkpoints per job, whatever its length.
    eval_interval: Math.max(1, Math.floor(totalSteps / 10)),
    checkpoint_interval: Math.max(1, Math.floor(totalSteps / 10)),
    checkpoints_to_keep: 3,
    log_interval: 1,
    base_model_name: baseModelName,
  };
}
