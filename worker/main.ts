// The worker process: pg-boss consumers for background work (dataset validation and
// tokenization, model import and conversion, billing settlement, e-mail).
process.env.LATHE_PROCESS ??= 'worker';

import { PgBoss } from 'pg-boss';
import { env } from '@/worker/env';
import { handlers } from '@/worker/queues';
import { deliverWebhookJob, ensureQueues, workQueue } from '@/server/queue/contracts';
import { logger } from '@/server/logger';
import { disconnectDb, getDb } from '@/server/db';
import { startOpsServer } from '@/server/observability/metrics';
import { reapLapsedJobs } from '@/server/services/training/reap-lapsed-jobs';
import { releaseStaleReservations } from '@/server/services/credits/release-stale-reservations';
import { pruneWebhookLog } from '@/server/services/webhooks/prune-webhook-log';
import { chargeDeploymentHours } from '@/server/services/credits/charge-deployment-hours';

const RESERVATION_SWEEP_MS = 5 * 60_000;
const DEPLOYMENT_HOUR_SAMPLE_MS = 60_000;

// LISTEN/NOTIFY: queues that NOTIFY on send (webhook.deliver) are picked up at once, not at the next poll.
const boss = new PgBoss({ connectionString: env.DATABASE_URL, schema: 'pgboss', max: 4, useListenNotify: true });
boss.on('error', (error) => logger.error({ err: error }, 'pg-boss error'));
await boss.start();
await ensureQueues(boss);

// Webhook deliveries mostly wait on other hosts, so they get their own, larger concurrency.
const concurrencyOf = (queue: string) => (queue === deliverWebhookJob.name ? env.LATHE_WEBHOOK_CONCURRENCY : env.WORKER_CONCURRENCY);

for (const { queue, handle } of handlers) {
  // Retrying cannot fix a malformed payload: workQueue fails it for good.
  await workQueue(boss, queue, { batchSize: 1, localConcurrency: concurrencyOf(queue) }, handle, (job, error) =>
    logger.error({ queue, pgBossJobId: job.id, err: error }, 'job payload rejected'),
  );
}

// Lost runners: jobs whose heartbeat lapsed go back to the queue (every worker checks; the
// attempt-fenced update makes concurrent checks harmless).
const reaper = setInterval(() => {
  reapLapsedJobs({ db: getDb(), boss, lapseMs: env.RUNNER_LAPSE_MS }).catch((error: unknown) => logger.warn({ err: error }, 'reaping lapsed jobs failed'));
}, Math.min(10_000, env.RUNNER_LAPSE_MS / 3));

// Reservations of jobs that ended without a settlement (a crash between the two) are settled here;
// settleJob's idempotency key makes concurrent sweeps by several workers harmless.
const sweeper = setInterval(() => {
  releaseStaleReservations({ db: getDb() }).catch((error: unknown) => logger.warn({ err: error }, 'settling stale reservations failed'));
  pruneWebhookLog({ db: getDb() }).catch((error: unknown) => logger.warn({ err: error }, 'pruning the webhook delivery log failed'));
}, RESERVATION_SWEEP_MS);

// Ready deployments are charged per clock hour; the ledger key per deployment and hour makes
// every sample after the first in an hour, and samples by other workers, no-ops.
const deploymentHours = setInterval(() => {
  chargeDeploymentHours({ db: getDb() })
    .then((result) => result.charged > 0 && logger.info(result, 'charged deployment hours'))
    .catch((error: unknown) => logger.warn({ err: error }, 'charging deployment hours failed'));
}, DEPLOYMENT_HOUR_SAMPLE_MS);

const ops = startOpsServer({
  port: env.WORKER_OPS_PORT,
  processName: 'worker',
  health: async () => {
    await getDb().$queryRawUnsafe('SELECT 1');
    return { queues: handlers.map((h) => h.queue) };
  },
});
logger.info({ queues: handlers.map((h) => h.queue) }, 'worker started');

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down worker');
  clearInterval(reaper);
  clearInterval(sweeper);
  clearInterval(deploymentHours);
  await boss.stop({ graceful: true, timeout: 20_000 });
  ops.close();
  await disconnectDb();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
