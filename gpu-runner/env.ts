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
    // Process executor: keep a trainer interpreter with torch imported waiting for the next job.
    RUNNER_WARM_TRAINER: z.enum(['0', '1']).default('1').transform((value) => value === '1'),
    DOCKER_HOST: z.string().optional(),
    // Serving: without the internal token (shared with the web app) this runner serves nothing.
    LATHE_INTERNAL_TOKEN: z.string().min(16).optional(),
    RUNNER_ADVERTISE_HOST: z.string().default('127.0.0.1'),
    RUNNER_SERVING_HOST: z.string().optional(),
    RUNNER_MAX_DEPLOYMENTS: z.coerce.number().int().min(0).default(4),
    RUNNER_SERVING_THREADS: z.coerce.number().int().positive().optional(),
    RUNNER_SERVING_CONCURRENCY: z.coerce.number().int().positive().default(2),
    RUNNER_SERVING_CONTEXT_SIZE: z.coerce.number().int().positive().optional(),
    RUNNER_LAPSE_MS: z.coerce.number().int().positive().default(30_000),
  },
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
});
