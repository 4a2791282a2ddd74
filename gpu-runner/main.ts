// The gpu-runner process, one per GPU host: registers itself as a Runner, heartbeats, and (with
// the jobs feature) claims training jobs and runs them through its executor.
process.env.LATHE_PROCESS ??= 'gpu-runner';

import os from 'node:os';
import path from 'node:path';
import { PgBoss } from 'pg-boss';
import { env } from '@/gpu-runner/env';
import { chooseExecutor, detectGpus, dockerClient, hostMemoryBytes } from '@/gpu-runner/host';
import { createDockerExecutor, removeOrphans } from '@/gpu-runner/executors/docker';
import { createProcessExecutor } from '@/gpu-runner/executors/process';
import { createSlurmExecutor, readPartitions } from '@/gpu-runner/executors/slurm';
import type { TrainerExecutor } from '@/gpu-runner/executors/types';
import { ensureTrainerImage } from '@/gpu-runner/images/build';
import { runTrainingJob } from '@/gpu-runner/job-loop/run-training-job';
import { startServingFromEnv } from '@/gpu-runner/serving/start-serving';
import { ensureQueues, parsePayload, runTrainingJob as trainContract, workQueue } from '@/server/queue/contracts';
import { artifactStoreConfigFromEnv, createArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { logger } from '@/server/logger';
import { disconnectDb, getDb } from '@/server/db';
import { startOpsServer } from '@/server/observability/metrics';
import { detectTrainerEnvironment, trainerUnavailableMessage } from '@/server/services/platform/trainer-environment';

const db = getDb();
const gpus = await detectGpus();
const executor = await chooseExecutor(env.LATHE_EXECUTOR, env.DOCKER_HOST);
const labels = env.RUNNER_LABELS.split(',').map((s) => s.trim()).filter(Boolean);
// Only the process executor trains with this host's Python; containers bring their own.
// A Slurm runner's trainers run on the compute nodes, with the Python LATHE_PYTHON names there.
if (executor === 'slurm' && !env.LATHE_SLURM_WORKDIR) {
  throw new Error('LATHE_EXECUTOR=slurm needs LATHE_SLURM_WORKDIR: a folder on the filesystem that the login node and the compute nodes share.');
}
const trainerEnvironment = executor === 'process' ? await detectTrainerEnvironment({ dataDir: env.LATHE_DATA_DIR }) : null;
const trainerProblem = trainerEnvironment && !trainerEnvironment.available ? trainerEnvironment : null;

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
    trainerProblem: trainerProblem?.reason ?? null,
    trainerFix: trainerProblem?.fix ?? null,
  },
});
logger.info({ runnerId: runner.id, executor, gpus: gpus.length }, 'runner registered');
if (trainerProblem) logger.warn({ runnerId: runner.id }, `${trainerUnavailableMessage(trainerProblem)} (this runner serves models and claims no training jobs)`);

let heartbeatFailures = 0;
const heartbeat = setInterval(async () => {
  try {
    const slurmPartitions = executor === 'slurm' ? await readPartitions().catch(() => undefined) : undefined;
    await db.runner.update({ where: { id: runner.id }, data: { lastHeartbeatAt: new Date(), status: 'ONLINE', ...(slurmPartitions ? { slurmPartitions } : {}) } });
    heartbeatFailures = 0;
  } catch (error) {
    // The database may be restarting; keep trying rather than exit and abandon running work.
    if (++heartbeatFailures % 6 === 1) logger.warn({ err: error }, 'heartbeat failed; retrying');
  }
}, env.RUNNER_HEARTBEAT_MS);

let trainer: TrainerExecutor;
if (executor === 'docker') {
  const docker = dockerClient(env.DOCKER_HOST);
  const image = await ensureTrainerImage(docker, { onLog: (line) => logger.debug({ line }, 'trainer image build') });
  const removed = await removeOrphans(docker, runner.id);
  if (removed.length) logger.info({ removed }, 'removed orphaned trainer containers');
  trainer = createDockerExecutor({ docker, image, runnerId: runner.id });
} else if (executor === 'slurm') {
  trainer = createSlurmExecutor({
    defaults: {
      partition: env.LATHE_SLURM_PARTITION,
      account: env.LATHE_SLURM_ACCOUNT,
      qos: env.LATHE_SLURM_QOS,
      timeLimit: env.LATHE_SLURM_TIME_LIMIT,
      nodes: env.LATHE_SLURM_NODES,
      tasksPerNode: env.LATHE_SLURM_TASKS_PER_NODE,
      gpusPerNode: env.LATHE_SLURM_GPUS_PER_NODE,
      cpusPerTask: env.LATHE_SLURM_CPUS_PER_TASK,
    },
  });
} else {
  const processExecutor = createProcessExecutor({
    warm: env.RUNNER_WARM_TRAINER && !trainerProblem,
    onSpareLost: (details) => logger.warn(details, 'spare trainer exited before a job; the next job starts cold'),
  });
  // Ready for the first job, not only from the second on.
  if (!trainerProblem) processExecutor.warm();
  trainer = processExecutor;
}

const store = createArtifactStore(artifactStoreConfigFromEnv());
// Slurm: the shared folder, the same after a restart, where a running job's workspace is re-attached.
const workRoot = executor === 'slurm' ? path.resolve(env.LATHE_SLURM_WORKDIR!) : path.resolve(env.LATHE_DATA_DIR, 'runner', runner.id);
const shutdownController = new AbortController();
const boss = new PgBoss({ connectionString: env.DATABASE_URL, schema: 'pgboss', max: 4, useListenNotify: true });
boss.on('error', (error) => logger.warn({ err: error }, 'pg-boss error'));
await boss.start();
await ensureQueues(boss);
let active = 0;
const rejectPayload = (job: { id: string }, error: Error) => logger.error({ queue: trainContract.name, pgBossJobId: job.id, err: error }, 'job payload rejected');
// A runner that cannot train leaves queued jobs to one that can, rather than failing each of them.
if (!trainerProblem) await workQueue(boss, trainContract.name, { batchSize: 1, localConcurrency: env.RUNNER_CAPACITY, pollingIntervalSeconds: 0.5 }, async (job) => {
  const { jobId, attempt } = parsePayload(trainContract, job.data);
  active++;
  try {
    const outcome = await runTrainingJob({
      db,
      store,
      executor: trainer,
      runnerId: runner.id,
      jobId,
      attempt,
      workRoot,
      log: logger,
      // A Slurm job's CPUs are the cluster's (LATHE_SLURM_CPUS_PER_TASK), not the login node's.
      cpus: executor === 'slurm' ? env.RUNNER_CPUS : (env.RUNNER_CPUS ?? Math.max(1, Math.floor(os.cpus().length / env.RUNNER_CAPACITY))),
      gpus: executor !== 'slurm' && gpus.length ? gpus.map((g) => String(g.index)) : undefined,
      memoryBytes: env.RUNNER_JOB_MEMORY_BYTES,
      heartbeatMs: env.RUNNER_HEARTBEAT_MS,
      signal: shutdownController.signal,
    });
    logger.info({ jobId, attempt, outcome }, 'training run finished');
  } finally {
    active--;
  }
}, rejectPayload);

const serving = startServingFromEnv({ db, store, runnerId: runner.id, workRoot, log: logger });

const ops = startOpsServer({
  port: env.RUNNER_OPS_PORT,
  processName: 'gpu-runner',
  health: async () => ({ runnerId: runner.id, executor, gpus: gpus.length, activeJobs: active, trainerProblem: trainerProblem?.reason ?? null }),
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down gpu-runner');
  // Running trainers checkpoint and their jobs go back to the queue for another runner.
  shutdownController.abort();
  // The spare trainer is no job's: it goes now, leaving the cores to the trainers that checkpoint.
  await trainer.close?.();
  await serving?.stop();
  await boss.stop({ graceful: true, timeout: 60_000 });
  clearInterval(heartbeat);
  await db.runner.update({ where: { id: runner.id }, data: { status: 'OFFLINE' } }).catch(() => {});
  ops.close();
  await disconnectDb();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
