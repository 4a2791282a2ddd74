import { describe, expect, it } from 'vitest';
import { binHistogram, type CharacterBucket } from '@/lib/universal/dataset-report';
import { CHARACTER_HISTOGRAM_EDGES, emptyHistogram } from '@/server/services/datasets/platform/dataset-stats';

function fill(lengths: number[]): CharacterBucket[] {
  const buckets = emptyHistogram();
  for (const length of lengths) {
    let i = buckets.length - 1;
    while (i > 0 && buckets[i]!.min > length) i--;
    buckets[i]!.count++;
  }
  return buckets;
}

describe('binHistogram', () => {
  it('spans the shortest to the longest example, not a fixed 0-256 range', () => {
    const lengths = Array.from({ length: 60 }, (_, i) => 40 + ((i * 37) % 160));
    const bars = binHistogram(fill(lengths));
    expect(bars.length).toBeGreaterThan(3);
    expect(bars.length).toBeLessThanOrEqual(12);
    expect(bars[0]!.min).toBeLessThanOrEqual(40);
    expect(bars[0]!.min).toBeGreaterThan(20);
    expect(bars.at(-1)!.max!).toBeGreaterThan(199);
    expect(bars.at(-1)!.max!).toBeLessThan(260);
    expect(bars.reduce((sum, b) => sum + b.count, 0)).toBe(60);
  });

  it('merges a wide range into at most the bars asked for, keeping every example and contiguous edges', () => {
    const lengths = [3, 9, 120, 5_000, 90_000, 700_000];
    const bars = binHistogram(fill(lengths), 8);
    expect(bars.length).toBeLessThanOrEqual(8);
    expect(bars.reduce((sum, b) => sum + b.count, 0)).toBe(lengths.length);
    for (let i = 1; i < bars.length; i++) expect(bars[i]!.min).toBe(bars[i - 1]!.max);
  });

  it('keeps old coarse histograms readable and handles an empty one', () => {
    const coarse: CharacterBucket[] = [
      { min: 0, max: 256, count: 5 },
      { min: 256, max: 512, count: 0 },
      { min: 512, max: null, count: 0 },
    ];
    expect(binHistogram(coarse)).toEqual([{ min: 0, max: 256, count: 5 }]);
    expect(binHistogram(emptyHistogram())).toEqual([{ min: 0, max: CHARACTER_HISTOGRAM_EDGES[1], count: 0 }]);
  });
});
