import { describe, expect, it } from 'vitest';

import { displayPercent, splitDuration } from './duration';

describe('splitDuration', () => {
  it('keeps the two most significant units', () => {
    expect(splitDuration(42)).toEqual({ unit: 'seconds', values: { seconds: 42 } });
    expect(splitDuration(190)).toEqual({ unit: 'minutes', values: { minutes: 3, seconds: 10 } });
    expect(splitDuration(3_900)).toEqual({ unit: 'hours', values: { hours: 1, minutes: 5 } });
    expect(splitDuration(2 * 86_400 + 3 * 3_600 + 59)).toEqual({
      unit: 'days',
      values: { days: 2, hours: 3 },
    });
  });

  it('rounds seconds up so remaining work never reads as zero', () => {
    expect(splitDuration(0.2)).toEqual({ unit: 'seconds', values: { seconds: 1 } });
    expect(splitDuration(59.5)).toEqual({ unit: 'minutes', values: { minutes: 1, seconds: 0 } });
  });

  it('shows zero for negative, NaN and infinite estimates', () => {
    for (const value of [-5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(splitDuration(value)).toEqual({ unit: 'seconds', values: { seconds: 0 } });
    }
  });
});

describe('displayPercent', () => {
  it('clamps and floors', () => {
    expect(displayPercent(42.9)).toBe(42);
    expect(displayPercent(99.7)).toBe(99);
    expect(displayPercent(100)).toBe(100);
    expect(displayPercent(140)).toBe(100);
    expect(displayPercent(-3)).toBe(0);
    expect(displayPercent(Number.NaN)).toBe(0);
  });
});
