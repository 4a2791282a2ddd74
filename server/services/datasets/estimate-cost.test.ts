import { describe, expect, it } from 'vitest';
import { ZEstimateCostRequest, estimateCost } from './estimate-cost';

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

describe('ZEstimateCostRequest', () => {
  it('accepts what estimateCost takes from an API caller, and nothing else', () => {
    expect(ZEstimateCostRequest.parse({ trainedTokens: 10, epochs: 3, pricePerMillionTokens: 2.5 })).toEqual({ trainedTokens: 10, epochs: 3, pricePerMillionTokens: 2.5 });
    expect(ZEstimateCostRequest.safeParse({ trainedTokens: 10, epochs: 0, pricePerMillionTokens: 1 }).success).toBe(false);
    expect(ZEstimateCostRequest.safeParse({ trainedTokens: 1.5, epochs: 1, pricePerMillionTokens: 1 }).success).toBe(false);
  });
});
