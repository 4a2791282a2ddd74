// Requests per minute per caller (an API key, or a signed-in member in the playground), counted in
// this web process in fixed one-minute windows, as the sign-in limiter is.
import { LatheError } from '@/server/services/errors';

const WINDOW_MS = 60_000;

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastSweep = 0;

  constructor(private readonly perMinute: () => number) {}

  /** Counts one request; TOO_MANY_REQUESTS (`rate_limit_exceeded`, with Retry-After) over the limit. */
  take(caller: string, now = Date.now()): void {
    const limit = this.perMinute();
    if (limit <= 0) return;
    this.sweep(now);
    let window = this.windows.get(caller);
    if (!window || now - window.start >= WINDOW_MS) {
      window = { start: now, count: 0 };
      this.windows.set(caller, window);
    }
    if (window.count >= limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil((window.start + WINDOW_MS - now) / 1000));
      throw new LatheError('TOO_MANY_REQUESTS', `Rate limit reached: ${limit} requests per minute. Retry in ${retryAfterSeconds} s, or ask an administrator to raise LATHE_RATE_LIMIT_RPM.`, {
        reason: 'rate_limit_exceeded',
        retryAfterSeconds,
      });
    }
    window.count++;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < WINDOW_MS) return;
    this.lastSweep = now;
    for (const [caller, window] of this.windows) if (now - window.start >= WINDOW_MS) this.windows.delete(caller);
  }
}
