import os from 'node:os';
import { createEnv } from '@t3-oss/env-core';
import { z } from 'zod';

/** A partition, account or QoS name as Slurm spells them (it goes on sbatch's command line). */
const slurmName = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, `_`, `.` and `-` only');

export const env = createEnv({
  server: {
    DATABASE_URL: z.string().url(),
    LATHE_DATA_DIR: z.string().default('./.lathe'),
    RUNNER_NAME: z.string().default(os.hostname()),
    RUNNER_CAPACITY: z.coerce.number().int().positive().default(1),
    RUNNER_LABELS: z.string().default(''),
    RUNNER_OPS_PORT: z.coerce.number().int().min(0).default(3102),
    RUNNER_HEARTBEAT_MS: z.coerce.number().int().positive().default(5000),
    LATHE_EXECUTOR: z.enum(['auto', 'docker', 'process', 'slurm']).default('auto'),
    // Slurm executor (LATHE_EXECUTOR=slurm): the runner sits on a login node and submits with sbatch.
    LATHE_SLURM_WORKDIR: z.string().optional(),
    LATHE_SLURM_PARTITION: slurmName.optional(),
    LATHE_SLURM_ACCOUNT: slurmName.optional(),
    LATHE_SLURM_QOS: slurmName.optional(),
    LATHE_SLURM_TIME_LIMIT: z
      .string()
      .regex(/^(\d+|\d+:\d{2}|\d{1,2}:\d{2}:\d{2}|\d+-\d{1,2}(:\d{2}){0,2})$/, 'a Slurm time limit: minutes, MM:SS, HH:MM:SS, D-HH or D-HH:MM:SS')
      .optional(),
    LATHE_SLURM_NODES: z.coerce.number().int().positive().default(1),
    LATHE_SLURM_TASKS_PER_NODE: z.coerce.number().int().positive().optional(),
    LATHE_SLURM_GPUS_PER_NODE: z.coerce.number().int().min(0).default(0),
    LATHE_SLURM_CPUS_PER_TASK: z.coerce.number().int().positive().optional(),
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
