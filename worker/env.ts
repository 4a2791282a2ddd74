import { createEnv } from '@t3-oss/env-core';
import { z } from 'zod';

export const env = createEnv({
  server: {
    DATABASE_URL: z.string().url(),
    LATHE_DATA_DIR: z.string().default('./.lathe'),
    WORKER_OPS_PORT: z.coerce.number().int().min(0).default(3101),
    WORKER_CONCURRENCY: z.coerce.number().int().positive().default(2),
    RUNNER_LAPSE_MS: z.coerce.number().int().min(3000).default(30_000),
    /** Days the webhook delivery log is kept. */
    LATHE_WEBHOOK_LOG_DAYS: z.coerce.number().int().min(2).default(30),
    /** Webhook deliveries in flight at once in this worker. */
    LATHE_WEBHOOK_CONCURRENCY: z.coerce.number().int().positive().default(10),
    /** Webhook destinations in private, loopback and link-local ranges: refused unless 1. */
    LATHE_WEBHOOK_ALLOW_PRIVATE: z.enum(['0', '1']).default('0'),
    /** The first webhook retry waits this long; each later one twice as long, at most 2 h. */
    LATHE_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().positive().default(30_000),
    /** A webhook delivery is retried for this long after the event, then given up. */
    LATHE_WEBHOOK_RETRY_WINDOW_MS: z.coerce.number().int().positive().default(24 * 3600_000),
  },
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
});
