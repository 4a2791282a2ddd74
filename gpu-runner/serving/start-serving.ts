// The serving loop as the gpu-runner process starts it, configured from its environment.
import path from 'node:path';
import { env } from '@/gpu-runner/env';
import type { Db } from '@/server/db';
import type { Logger } from '@/server/logger';
import type { ArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { startServingLoop, type ServingLoop } from '@/gpu-runner/serving/deployment-loop';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Starts serving on this runner, or returns null (with a warning) when it is not configured. */
export function startServingFromEnv({ db, store, runnerId, workRoot, log }: { db: Db; store: ArtifactStore; runnerId: string; workRoot: string; log: Logger }): ServingLoop | null {
  if (!env.LATHE_INTERNAL_TOKEN || env.RUNNER_MAX_DEPLOYMENTS === 0) {
    if (!env.LATHE_INTERNAL_TOKEN) log.warn('serving is off: set LATHE_INTERNAL_TOKEN (the one the web app has) to serve models on this runner');
    return null;
  }
  return startServingLoop({
    db,
    databaseUrl: env.DATABASE_URL,
    store,
    runnerId,
    workRoot: path.join(workRoot, 'serving'),
    cacheDir: path.resolve(env.LATHE_DATA_DIR, 'runner', 'serving-cache'),
    log,
    token: env.LATHE_INTERNAL_TOKEN,
    advertiseHost: env.RUNNER_ADVERTISE_HOST,
    // Other hosts must reach a server advertised under a routable name.
    bindHost: env.RUNNER_SERVING_HOST ?? (LOOPBACK.has(env.RUNNER_ADVERTISE_HOST) ? '127.0.0.1' : '0.0.0.0'),
    maxDeployments: env.RUNNER_MAX_DEPLOYMENTS,
    lapseMs: env.RUNNER_LAPSE_MS,
    server: { threads: env.RUNNER_SERVING_THREADS, concurrency: env.RUNNER_SERVING_CONCURRENCY, contextSize: env.RUNNER_SERVING_CONTEXT_SIZE },
  });
}
