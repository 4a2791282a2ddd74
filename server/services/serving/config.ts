// Serving settings of the web process, read once from the environment. The internal token is the
// secret the web app and the runners' inference servers share; `npm start` generates it into the
// data folder when it is not set.
import { z } from 'zod';
import { LatheError } from '@/server/services/errors';

const ZServingEnv = z.object({
  LATHE_INTERNAL_TOKEN: z.string().min(16).optional(),
  /** Requests per minute per API key (or per signed-in user in the playground); 0 turns the limit off. */
  LATHE_RATE_LIMIT_RPM: z.coerce.number().int().min(0).default(600),
  /** How long a request waits for a deployment to become ready before it gets a 503. */
  LATHE_DEPLOY_WAIT_MS: z.coerce.number().int().positive().default(90_000),
  /** A runner whose heartbeat is older than this is presumed dead and its deployments are requeued. */
  RUNNER_LAPSE_MS: z.coerce.number().int().positive().default(30_000),
});

export type ServingConfig = z.infer<typeof ZServingEnv>;

let cached: ServingConfig | null = null;

export function servingConfig(env: NodeJS.ProcessEnv = process.env): ServingConfig {
  if (env !== process.env) return ZServingEnv.parse(emptyAsUndefined(env));
  cached ??= ZServingEnv.parse(emptyAsUndefined(env));
  return cached;
}

function emptyAsUndefined(env: NodeJS.ProcessEnv) {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
}

export function internalToken(): string {
  const token = servingConfig().LATHE_INTERNAL_TOKEN;
  if (!token) {
    throw new LatheError('INTERNAL', 'Serving is not configured: set LATHE_INTERNAL_TOKEN (at least 16 characters) for the web app and the runners, or start Lathe with `npm start`, which generates it.', {
      reason: 'serving_not_configured',
    });
  }
  return token;
}
