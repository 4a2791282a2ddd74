// A fixed-window request counter in PostgreSQL (password reset requests), so every web process
// counts the same requests. One statement counts and reads, so concurrent requests never both
// take the last place in a window.
import type { Db } from '@/server/db';

const SWEEP_EVERY_MS = 10 * 60_000;
let lastSweep = 0;

export function createRateLimiter({ name, limit, windowMs }: { name: string; limit: number; windowMs: number }) {
  return {
    /** Counts one request; returns the seconds to wait when over the limit, else 0. */
    async hit(db: Db, key: string, now = new Date()): Promise<number> {
      if (now.getTime() - lastSweep > SWEEP_EVERY_MS) {
        lastSweep = now.getTime();
        await db.rateLimitWindow.deleteMany({ where: { expiresAt: { lt: now } } });
      }
      const expiresAt = new Date(now.getTime() + windowMs);
      const [window] = await db.$queryRaw<{ count: number; expiresAt: Date }[]>`
        INSERT INTO "RateLimitWindow" ("key", "startedAt", "expiresAt", "count") VALUES (${`${name}:${key}`}, ${now}, ${expiresAt}, 1)
        ON CONFLICT ("key") DO UPDATE SET
          "startedAt" = CASE WHEN "RateLimitWindow"."expiresAt" <= ${now} THEN EXCLUDED."startedAt" ELSE "RateLimitWindow"."startedAt" END,
          "expiresAt" = CASE WHEN "RateLimitWindow"."expiresAt" <= ${now} THEN EXCLUDED."expiresAt" ELSE "RateLimitWindow"."expiresAt" END,
          "count" = CASE WHEN "RateLimitWindow"."expiresAt" <= ${now} THEN 1 ELSE "RateLimitWindow"."count" + 1 END
        RETURNING "count", "expiresAt"`;
      return window!.count > limit ? Math.max(1, Math.ceil((window!.expiresAt.getTime() - now.getTime()) / 1000)) : 0;
    },
  };
}
