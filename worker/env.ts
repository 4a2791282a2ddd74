import { createEnv } from '@t3-oss/env-core';
import { z } from 'zod';

export const env = createEnv({
  server: {
    DATABASE_URL: z.string().url(),
    LATHE_DATA_DIR: z.string().default('./.lathe'),
    WORKER_OPS_PORT: z.coerce.number().int().min(0).default(3101),
    WORKER_CONCURRENCY: z.coerce.number().int().positive().default(2),
    RUNNER_LAPSE_MS: z.coerce.number().int().min(3000).default(30_000),
  },
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
});
