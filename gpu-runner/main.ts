// The gpu-runner process, one per GPU host: registers itself as a Runner, heartbeats, and (with
// the jobs feature) claims training jobs and runs them through its executor.
process.env.LATHE_PROCESS ??= 'gpu-runner';

import os from 'node:os';
import { env } from '@/gpu-runner/env';
import { chooseExecutor, detectGpus, hostMemoryBytes } from '@/gpu-runner/host';
import { logger } from '@/server/logger';
import { disconnectDb, getDb } from '@/server/db';
import { startOpsServer } from '@/server/observability/metrics';

const db = getDb();
const gpus = await detectGpus();
const executor = await chooseExecutor(env.LATHE_EXECUTOR, env.DOCKER_HOST);
const labels = env.RUNNER_LABELS.split(',').map((s) => s.trim()).filter(Boolean);

const runner = await db.runner.create({
  data: {
    name: env.RUNNER_NAME,
    hostname: os.hostname(),
    gpus,
    memoryBytes: hostMemoryBytes(),
    capacity: env.RUNNER_CAPACITY,
    labels,
    executor,
    status: 'ONLINE',
  },
});
logger.info({ runnerId: runner.id, executor, gpus: gpus.length }, 'runner registered');

let heartbeatFailures = 0;
const heartbeat = setInterval(async () => {
  try {
    await db.runner.update({ where: { id: runner.id }, data: { lastHeartbeatAt: new Date(), status: 'ONLINE' } });
    heartbeatFailures = 0;
  } catch (error) {
    // The database may be restarting; keep trying rather than exit and abandon running work.
    if (++heartbeatFailures % 6 === 1) logger.warn({ err: error }, 'heartbeat failed; retrying');
  }
}, env.RUNNER_HEARTBEAT_MS);

const ops = startOpsServer({
  port: env.RUNNER_OPS_PORT,
  processName: 'gpu-runner',
  health: async () => ({ runnerId: runner.id, executor, gpus: gpus.length }),
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down gpu-runner');
  clearInterval(heartbeat);
  await db.runner.update({ where: { id: runner.id }, data: { status: 'OFFLINE' } }).catch(() => {});
  ops.close();
  await disconnectDb();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
