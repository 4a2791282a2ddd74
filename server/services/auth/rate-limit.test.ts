import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { createRateLimiter } from './rate-limit';

describe('rate limiter in PostgreSQL', () => {
  it('lets exactly the limit through a window, even from parallel requests, then opens the next window', async () => {
    const limiter = createRateLimiter({ name: `test-${randomBytes(4).toString('hex')}`, limit: 5, windowMs: 60_000 });
    const start = new Date();
    const waits = await Promise.all(Array.from({ length: 12 }, () => limiter.hit(getDb(), 'k', start)));
    expect(waits.filter((w) => w === 0)).toHaveLength(5);
    expect(Math.max(...waits)).toBe(60);
    expect(await limiter.hit(getDb(), 'k', new Date(start.getTime() + 30_000))).toBe(30);
    expect(await limiter.hit(getDb(), 'other', start)).toBe(0);
    expect(await limiter.hit(getDb(), 'k', new Date(start.getTime() + 60_000))).toBe(0);
  });
});
