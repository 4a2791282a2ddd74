import { describe, expect, it } from 'vitest';
import { autoHyperparameters } from '@/lib/universal/hyperparameters';
import { resolveHyperparameters, trainerConfig } from './hyperparameters';

describe('resolveHyperparameters and presets', () => {
  const base = { examples: 24, trainedTokens: 480, hiddenSize: 128 };

  it('standard is auto; quick is one epoch; thorough doubles the epochs at half the rate', () => {
    const auto = autoHyperparameters(base);
    const standard = resolveHyperparameters({ ...base, preset: 'standard' });
    expect(standard).toMatchObject({ n_epochs: auto.epochs, batch_size: auto.batchSize });
    expect(standard.learning_rate).toBeCloseTo(auto.learningRate, 6);
    expect(resolveHyperparameters({ ...base, preset: 'quick' }).n_epochs).toBe(1);
    const thorough = resolveHyperparameters({ ...base, preset: 'thorough' });
    expect(thorough.n_epochs).toBe(Math.min(100, auto.epochs * 2));
    expect(thorough.learning_rate).toBeCloseTo(auto.learningRate / 2, 6);
  });

  it('takes values given over auto', () => {
    const r = resolveHyperparameters({ ...base, requested: { n_epochs: 10, learning_rate_multiplier: 2, batch_size: 4 } });
    expect(r).toMatchObject({ n_epochs: 10, batch_size: 4, learning_rate_multiplier: 2, learning_rate: 4e-4 });
  });

  it('resolves the advanced settings: auto is rank 16, alpha twice the rank, the context length up to 2048', () => {
    expect(resolveHyperparameters({ ...base, contextLength: 256 })).toMatchObject({
      lora_rank: 16,
      lora_alpha: 32,
      lora_dropout: 0.05,
      lora_target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
      max_sequence_length: 256,
      lr_scheduler: 'cosine',
      warmup_ratio: 0.03,
    });
    expect(resolveHyperparameters({ ...base, contextLength: 8192 }).max_sequence_length).toBe(2048);
    const given = resolveHyperparameters({ ...base, requested: { lora_rank: 4, lora_target_modules: ['v_proj', 'q_proj'], lr_scheduler: 'constant', warmup_ratio: 0, max_sequence_length: 128, lora_dropout: 0 } });
    expect(given).toMatchObject({ lora_rank: 4, lora_alpha: 8, lora_target_modules: ['q_proj', 'v_proj'], lr_scheduler: 'constant', warmup_ratio: 0, max_sequence_length: 128, lora_dropout: 0 });
  });

  it("hands the LoRA shape, the scheduler and the warmup to the trainer's config", () => {
    const hyperparameters = resolveHyperparameters({ ...base, requested: { lora_rank: 8, lora_alpha: 4, lora_dropout: 0.1, lora_target_modules: ['q_proj'], lr_scheduler: 'linear', warmup_ratio: 0.1 } });
    expect(trainerConfig({ hyperparameters, seed: 1, sequenceLength: 64, baseModelName: 'm', examples: 24 })).toMatchObject({
      lora: { rank: 8, alpha: 4, dropout: 0.1, target_modules: ['q_proj'] },
      scheduler: 'linear',
      warmup_ratio: 0.1,
    });
  });

  it('passes early stopping and the checkpoint choice to the trainer', () => {
    const hyperparameters = resolveHyperparameters(base);
    const plain = trainerConfig({ hyperparameters, seed: 1, sequenceLength: 64, baseModelName: 'm', examples: 24 });
    expect(plain).not.toHaveProperty('early_stopping_patience');
    expect(plain).not.toHaveProperty('final_adapter');
    const stopping = trainerConfig({ hyperparameters, seed: 1, sequenceLength: 64, baseModelName: 'm', examples: 24, earlyStopping: { patience: 2, min_delta: 0.01 }, selectCheckpoint: 'last' });
    expect(stopping).toMatchObject({ early_stopping_patience: 2, early_stopping_min_delta: 0.01, final_adapter: 'last' });
  });
});
