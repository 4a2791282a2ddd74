import os from 'node:os';
import { createEnv } from '@t3-oss/env-core';
import { z } from 'zod';

export const env = createEnv({
  server: {
    DATABASE_URL: z.string().url(),
    LATHE_DATA_DIR: z.string().default('./.lathe'),
    RUNNER_NAME: z.string().default(os.hostname()),
    RUNNER_CAPACITY: z.coerce.number().int().positive().default(1),
    RUNNER_LABELS: z.string().default(''),
    RUNNER_OPS_PORT: z.coerce.number().int().min(0).default(3102),
    RUNNER_HEARTBEAT_MS: z.coerce.number().int().positive().default(5000),
    LATHE_EXECUTOR: z.enum(['auto', 'docker', 'process']).default('auto'),
    RUNNER_CPUS: z.coerce.number().int().positive().optional(),
    RUNNER_JOB_MEMORY_BYTES: z.coerce.number().int().positive().optional(),
    DOCKER_HOST: z.string().optional(),
  },
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
});
