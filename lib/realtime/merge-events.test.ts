import { describe, expect, it } from 'vitest';
import { mergeEvents } from '@/lib/realtime/merge-events';

const ev = (seq: number, message = `e${seq}`) => ({ seq, message });

describe('mergeEvents', () => {
  it('appends events after the last one held', () => {
    const held = [ev(1), ev(2)];
    expect(mergeEvents(held, [ev(3), ev(4)]).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(mergeEvents(held, [])).toBe(held);
  });

  it('keeps events unique by seq and ascending when a catch-up overlaps or arrives out of order', () => {
    const merged = mergeEvents([ev(1), ev(2), ev(5)], [ev(4), ev(2, 'again'), ev(3)]);
    expect(merged.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(merged[1]!.message).toBe('again');
  });
});
