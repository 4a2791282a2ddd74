import { describe, expect, it } from 'vitest';
import { AUTO_RULE, autoHyperparameters, hiddenSizeOf } from './hyperparameters';

const steps = (examples: number, h: { epochs: number; batchSize: number }) => Math.ceil(examples / h.batchSize) * h.epochs;

describe('autoHyperparameters: epochs', () => {
  it('gives small files enough optimizer steps to be learned, within the epoch cap', () => {
    for (const examples of [5, 24, 37, 100, 300]) {
      const h = autoHyperparameters({ examples, trainedTokens: examples * 20 });
      expect(steps(examples, h) >= AUTO_RULE.minTotalSteps || h.epochs === AUTO_RULE.maxEpochs).toBe(true);
      expect(h.epochs).toBeGreaterThanOrEqual(AUTO_RULE.targetEpochs);
    }
    expect(autoHyperparameters({ examples: 24, trainedTokens: 500 }).epochs).toBe(42);
    expect(autoHyperparameters({ examples: 2, trainedTokens: 100 }).epochs).toBe(AUTO_RULE.maxEpochs);
  });

  it('keeps 3 epochs for ordinary files and fewer for large ones, as OpenAI does', () => {
    expect(autoHyperparameters({ examples: 2000, trainedTokens: 200_000 }).epochs).toBe(3);
    expect(autoHyperparameters({ examples: 10_000, trainedTokens: 1_000_000 }).epochs).toBe(2);
    expect(autoHyperparameters({ examples: 100_000, trainedTokens: 10_000_000 }).epochs).toBe(1);
  });

  it('caps epochs by the token budget, never below one', () => {
    expect(autoHyperparameters({ examples: 1000, trainedTokens: 40_000_000 }).epochs).toBe(2);
    expect(autoHyperparameters({ examples: 1000, trainedTokens: 400_000_000 }).epochs).toBe(1);
    expect(autoHyperparameters({ examples: 24, trainedTokens: 1000, maxBilledTokens: 5000 }).epochs).toBe(5);
  });

  it('needs at least one example', () => {
    expect(() => autoHyperparameters({ examples: 0, trainedTokens: 0 })).toThrow(RangeError);
  });
});

describe('autoHyperparameters: batch size and learning rate', () => {
  it('sizes the batch at about 0.2% of the examples, a power of two up to 256', () => {
    expect(autoHyperparameters({ examples: 50, trainedTokens: 1 }).batchSize).toBe(1);
    expect(autoHyperparameters({ examples: 4000, trainedTokens: 1 }).batchSize).toBe(8);
    expect(autoHyperparameters({ examples: 1_000_000, trainedTokens: 1 }).batchSize).toBe(256);
  });

  it('is 2e-4 at width 4096 and batch 8, and scales as 1/width and sqrt(batch)', () => {
    expect(autoHyperparameters({ examples: 4000, trainedTokens: 1, hiddenSize: 4096 }).learningRate).toBe(2e-4);
    expect(autoHyperparameters({ examples: 4000, trainedTokens: 1 }).learningRate).toBe(2e-4);
    expect(autoHyperparameters({ examples: 4000, trainedTokens: 1, hiddenSize: 8192 }).learningRate).toBe(1e-4);
    expect(autoHyperparameters({ examples: 4000, trainedTokens: 1, hiddenSize: 2048 }).learningRate).toBe(4e-4);
    expect(autoHyperparameters({ examples: 20_000, trainedTokens: 1, hiddenSize: 4096 }).learningRate).toBe(4e-4);
    // SmolLM2-135M's width at batch 1.
    expect(autoHyperparameters({ examples: 24, trainedTokens: 1, hiddenSize: 576 }).learningRate).toBeCloseTo(2e-4 * (4096 / 576) * Math.sqrt(1 / 8), 6);
  });

  it('keeps the learning rate within its bounds for extreme widths', () => {
    expect(autoHyperparameters({ examples: 1_000_000, trainedTokens: 1, hiddenSize: 16 }).learningRate).toBe(AUTO_RULE.maxLearningRate);
    expect(autoHyperparameters({ examples: 24, trainedTokens: 1, hiddenSize: 1_000_000 }).learningRate).toBe(AUTO_RULE.minLearningRate);
  });

  it('reads the width from a model row', () => {
    expect(hiddenSizeOf({ hiddenSize: 576 })).toBe(576);
    expect(hiddenSizeOf({})).toBeNull();
    expect(hiddenSizeOf(null)).toBeNull();
    expect(hiddenSizeOf({ hiddenSize: '576' })).toBeNull();
  });
});
