import { describe, expect, it } from 'vitest';
import { ZEstimateCostRequest, autoHyperparameters, estimateCost } from './estimate-cost';

describe('estimateCost', () => {
  it('is trained tokens x epochs x price per token', () => {
    expect(estimateCost({ trainedTokens: 1_500_000, epochs: 3, pricePerMillionTokens: 8 })).toEqual({ billedTokens: 4_500_000, credits: 36 });
    expect(estimateCost({ trainedTokens: 1234, epochs: 2, pricePerMillionTokens: 0.5 })).toEqual({ billedTokens: 2468, credits: 0.001234 });
    expect(estimateCost({ trainedTokens: 0, epochs: 5, pricePerMillionTokens: 25 }).credits).toBe(0);
  });

  it('refuses negative, fractional or non-finite inputs', () => {
    expect(() => estimateCost({ trainedTokens: -1, epochs: 1, pricePerMillionTokens: 1 })).toThrow(RangeError);
    expect(() => estimateCost({ trainedTokens: 10, epochs: 1.5, pricePerMillionTokens: 1 })).toThrow(RangeError);
    expect(() => estimateCost({ trainedTokens: 10, epochs: 1, pricePerMillionTokens: Number.NaN })).toThrow(RangeError);
  });
});

describe('autoHyperparameters', () => {
  it('follows OpenAI: 3 epochs, more for small files, fewer for large ones', () => {
    expect(autoHyperparameters({ examples: 10, trainedTokens: 5000 }).epochs).toBe(10);
    expect(autoHyperparameters({ examples: 2, trainedTokens: 100 }).epochs).toBe(25);
    expect(autoHyperparameters({ examples: 100, trainedTokens: 50_000 }).epochs).toBe(3);
    expect(autoHyperparameters({ examples: 8333, trainedTokens: 1_000_000 }).epochs).toBe(3);
    expect(autoHyperparameters({ examples: 10_000, trainedTokens: 1_000_000 }).epochs).toBe(2);
    expect(autoHyperparameters({ examples: 100_000, trainedTokens: 10_000_000 }).epochs).toBe(1);
  });

  it('caps epochs by the token budget, never below one', () => {
    expect(autoHyperparameters({ examples: 1000, trainedTokens: 40_000_000 }).epochs).toBe(2);
    expect(autoHyperparameters({ examples: 1000, trainedTokens: 400_000_000 }).epochs).toBe(1);
    expect(autoHyperparameters({ examples: 1000, trainedTokens: 1000, maxBilledTokens: 1500 }).epochs).toBe(1);
  });

  it('sizes the batch at about 0.2% of the examples, a power of two up to 256, with the rate scaled to it', () => {
    expect(autoHyperparameters({ examples: 50, trainedTokens: 1 })).toMatchObject({ batchSize: 1, learningRate: 7.07e-5 });
    expect(autoHyperparameters({ examples: 4000, trainedTokens: 1 })).toMatchObject({ batchSize: 8, learningRate: 2e-4 });
    expect(autoHyperparameters({ examples: 20_000, trainedTokens: 1 })).toMatchObject({ batchSize: 32, learningRate: 4e-4 });
    expect(autoHyperparameters({ examples: 1_000_000, trainedTokens: 1 })).toMatchObject({ batchSize: 256, learningRate: 5e-4 });
  });

  it('needs at least one example', () => {
    expect(() => autoHyperparameters({ examples: 0, trainedTokens: 0 })).toThrow(RangeError);
  });
});

describe('ZEstimateCostRequest', () => {
  it('accepts what estimateCost takes from an API caller, and nothing else', () => {
    expect(ZEstimateCostRequest.parse({ trainedTokens: 10, epochs: 3, pricePerMillionTokens: 2.5 })).toEqual({ trainedTokens: 10, epochs: 3, pricePerMillionTokens: 2.5 });
    expect(ZEstimateCostRequest.safeParse({ trainedTokens: 10, epochs: 0, pricePerMillionTokens: 1 }).success).toBe(false);
    expect(ZEstimateCostRequest.safeParse({ trainedTokens: 1.5, epochs: 1, pricePerMillionTokens: 1 }).success).toBe(false);
  });
});
