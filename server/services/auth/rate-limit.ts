// A fixed-window limiter in process memory: enough to slow password guessing against one web
// node; each node limits independently.
type Window = { start: number; count: number };

export function createRateLimiter({ limit, windowMs }: { limit: number; windowMs: number }) {
  const windows = new Map<string, Window>();
  return {
    /** Counts one attempt; returns the seconds to wait when over the limit, else 0. */
    hit(key: string, now = Date.now()): number {
      const w = windows.get(key);
      if (!w || now - w.start >= windowMs) {
        windows.set(key, { start: now, count: 1 });
        if (windows.size > 50_000) {
          for (const [k, v] of windows) if (now - v.start >= windowMs) windows.delete(k);
        }
        return 0;
      }
      w.count++;
      return w.count > limit ? Math.ceil((w.start + windowMs - now) / 1000) : 0;
    },
    reset(key: string) {
      windows.delete(key);
    },
  };
}
