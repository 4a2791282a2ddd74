import { describe, expect, it } from 'vitest';
import { Prisma } from '@/server/generated/prisma/client';
import { creditsForTokens } from '@/server/services/credits/price';

describe('creditsForTokens', () => {
  it('is exact where floating point is not', () => {
    expect(creditsForTokens(1, 3).toString()).toBe('0.000003');
    expect(creditsForTokens(3, 0.1).toString()).toBe('3e-7');
    expect((3 * 0.1) / 1_000_000).not.toBe(3e-7);
    expect(creditsForTokens(3, 0.1).toNumber()).toBe(3e-7);
  });

  it('takes the price as a model row stores it and token counts as bigint', () => {
    expect(creditsForTokens(123_456_789_012n, new Prisma.Decimal('1.234567')).toString()).toBe('152415.677640177804');
    expect(creditsForTokens(500_000, '0.1').toString()).toBe('0.05');
  });

  it('gives the same numbers as tokens x price / 1e6 wherever that product is exact', () => {
    for (const [tokens, price] of [[4_500_000, 8], [2468, 0.5], [0, 25], [1_000_000, 1], [77, 2.25]] as const) {
      expect(creditsForTokens(tokens, price).toNumber()).toBe((tokens * price) / 1_000_000);
    }
  });
});
