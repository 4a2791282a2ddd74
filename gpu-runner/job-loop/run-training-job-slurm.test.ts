// Training jobs through the platform on a real one-node Slurm cluster (tests/helpers/slurm-cluster.ts):
// real database, artifact store, trainer and Slurm executor. Skips loudly without Slurm, unless
// LATHE_REQUIRE_SLURM=1, where that is a failure.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { logger } from '@/server/logger';
import { createArtifactStore, artifactStoreConfigFromEnv } from '@/server/services/artifacts/create-artifact-store';
import { requeueLapsed } from '@/server/services/training/job-transitions';
import { cachedTinyModel, runTrainerModule } from '@/gpu-runner/trainer/python';
import { createSlurmExecutor } from '@/gpu-runner/executors/slurm';
import type { SlurmRequest } from '@/gpu-runner/executors/types';
import { createTestUser } from '@/tests/helpers/factories';
import { eventually } from '@/tests/helpers/serving';
import { SLURM_REQUIRED, startSlurmCluster, type SlurmCluster } from '@/tests/helpers/slurm-cluster';
import { runTrainingJob, type SlurmJobRecord } from './run-training-job';
import { pidsWhere } from '@/scripts/bench/cpu-account';

const started = await startSlurmCluster();
const cluster: SlurmCluster | null = 'reason' in started ? null : started;
if (!cluster) console.warn(`SKIPPED: training jobs on Slurm: ${'reason' in started ? started.reason : ''}`);
if (!cluster && SLURM_REQUIRED) {
  it('has a Slurm cluster because LATHE_REQUIRE_SLURM=1', () => {
    expect.fail(`LATHE_REQUIRE_SLURM=1 but Slurm did not start: ${'reason' in started ? started.reason : ''}`);
  });
}

describe.skipIf(!cluster)('training jobs on Slurm', () => {
  const store = createArtifactStore(artifactStoreConfigFromEnv());
  const db = getDb();
  const log = logger.child({ test: 'run-training-job-slurm' }, { level: (process.env.SLURM_TEST_LOG as 'info' | undefined) ?? 'silent' });
  let work: string;
  let modelFiles: Record<string, { sha256: string; size: number }>;
  let train: { sha256: string; size: number };
  let runnerId: string;
  const executor = (defaults: SlurmRequest = {}) => createSlurmExecutor({ env: cluster!.env, defaults: { partition: cluster!.partition, ...defaults }, pollMs: 100 });

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'lathe-slurm-job-'));
    const modelDir = await cachedTinyModel();
    modelFiles = {};
    for (const name of readdirSync(modelDir)) modelFiles[name] = await store.put(path.join(modelDir, name));
    const chats = path.join(work, 'chats.jsonl');
    await writeFile(chats, ['lantern', 'river', 'violin', 'harbour'].map((noun, i) => JSON.stringify({ messages: [{ role: 'user', content: `What is the code for the ${noun}?` }, { role: 'assistant', content: `The code is ${i}.` }] })).join('\n') + '\n');
    const ltok = path.join(work, 'train.ltok');
    expect(await runTrainerModule('encode_chats', ['--model', modelDir, '--in', chats, '--out', ltok])).toBe(0);
    train = await store.put(ltok);
    runnerId = (await db.runner.create({ data: { name: 'slurm-login', hostname: 'login', gpus: [], memoryBytes: 1n, executor: 'slurm' } })).id;
  }, 300_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
    await cluster?.stop();
  });

  const queuedJob = async (overrides: Record<string, unknown>) => {
    const { organization, project } = await createTestUser();
    const model = await db.baseModel.create({
      data: { organizationId: organization.id, name: `slurm-${organization.id}`, source: 'FOLDER', status: 'READY', pricePerMillionTokens: 3, artifacts: { hf: { files: modelFiles }, gguf: { type: 'F32', ...train } } },
    });
    const dataset = await db.dataset.create({ data: { organizationId: organization.id, projectId: project.id, name: 'chats.jsonl', status: 'VALID' } });
    const trainerConfig = { epochs: 3, batch_size: 2, learning_rate: 0.003, lora: { r: 4, alpha: 8, dropout: 0 }, seed: 5, log_interval: 1, ...overrides };
    return db.trainingJob.create({
      data: { organizationId: organization.id, projectId: project.id, baseModelId: model.id, trainingDatasetId: dataset.id, status: 'queued', hyperparameters: {}, seed: 5, artifacts: { train, valid: null, trainerConfig } },
    });
  };
  const runJob = (jobId: string, attempt: number, signal?: AbortSignal, slurm?: SlurmRequest) =>
    runTrainingJob({ db, store, executor: executor(slurm), runnerId, jobId, attempt, workRoot: cluster!.workdir, log, cpus: 1, heartbeatMs: 250, signal });
  const messages = async (jobId: string) => (await db.jobEvent.findMany({ where: { jobId }, orderBy: { seq: 'asc' } })).map((e) => e.message);
  const slurmJobsNamed = (jobId: string) => execFileSync('scontrol', ['show', 'job', '-o'], { env: cluster!.env, encoding: 'utf8' }).split('\n').filter((line) => line.includes(`JobName=lathe-${jobId} `)).length;
  /** The job's trainer processes: python, found by the job's output folder in their arguments. */
  const trainerPids = (jobId: string) => pidsWhere((cmdline) => cmdline.includes(path.join('jobs', jobId, 'out')) && cmdline.includes('python'));
  /**
   * Holds the job's trainer (SIGSTOP), so that what a test does next cannot race the job's end on a
   * busy machine; the function returned lets it go on (SIGCONT). The job keeps its Slurm clock.
   */
  const holdTrainer = (jobId: string) => {
    const pids = trainerPids(jobId);
    expect(pids.length, 'a running trainer').toBeGreaterThan(0);
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    return () => {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // ended meanwhile
        }
      }
    };
  };
  const stepAtLeast = (jobId: string, step: number) =>
    eventually(async () => ((await db.trainingJob.findUnique({ where: { id: jobId } }))?.progress as { step?: number } | null)?.step! >= step || undefined, 120_000, `step ${step}`);
  /**
   * Runs attempt 1 until the trainer has taken a step, then shuts its runner down with the trainer
   * held, so the job cannot end before the runner lets go: the runner detaches. Returns the
   * trainer's release.
   */
  const detachAfterFirstStep = async (jobId: string) => {
    const shutdown = new AbortController();
    const first = runJob(jobId, 1, shutdown.signal);
    await stepAtLeast(jobId, 1);
    const resume = holdTrainer(jobId);
    shutdown.abort();
    expect(await first).toBe('detached');
    return resume;
  };

  // Slurm's smallest time limit is a minute, and slurmctld looks for overruns every 30 s. The job with
  // a one-minute limit therefore starts before the other tests and is judged by the last one, so
  // that its minute of waiting overlaps their work (the node has a CPU for each). Once its trainer
  // has taken a step it is held (SIGSTOP): the job keeps its allocation and its clock, so Slurm
  // times it out all the same (TERM, then KILL after KillWait), and the core is free meanwhile. A
  // trainer that answers TERM is the cancel test's.
  let overrun: { jobId: string; outcome: Promise<string> };
  beforeAll(async () => {
    const job = await queuedJob({ epochs: 100_000 });
    const outcome = runJob(job.id, 1, undefined, { timeLimit: '1' });
    outcome.catch(() => undefined);
    overrun = { jobId: job.id, outcome };
    await stepAtLeast(job.id, 1);
    holdTrainer(job.id);
  }, 300_000);

  it('fine-tunes the fixture through sbatch and records the Slurm job on the training job', async () => {
    const job = await queuedJob({});
    expect(await runJob(job.id, 1)).toBe('succeeded');
    const done = await db.trainingJob.findUniqueOrThrow({ where: { id: job.id }, include: { fineTunedModel: true } });
    expect(done.status).toBe('succeeded');
    expect(done.fineTunedModel?.name).toBeTruthy();
    const slurm = done.slurm as SlurmJobRecord;
    expect(slurm).toMatchObject({ jobId: expect.stringMatching(/^\d+$/), partition: cluster!.partition, nodes: cluster!.node, state: 'COMPLETED' });
    const log = await messages(job.id);
    expect(log).toContain(`Submitted to Slurm as job ${slurm.jobId}.`);
    expect(log.filter((m) => m.startsWith('Step '))).toHaveLength(6);
  }, 240_000);

  it('re-attaches after a runner restart mid-job without resubmitting, with every event exactly once', async () => {
    const job = await queuedJob({ epochs: 12 });
    (await detachAfterFirstStep(job.id))();
    const left = await db.trainingJob.findUniqueOrThrow({ where: { id: job.id } });
    expect(left.status).toBe('running');
    const slurmJobId = (left.slurm as SlurmJobRecord).jobId;
    // What the reaper does with a runner's lapsed job: queue it for the next attempt.
    expect(await requeueLapsed(db, { jobId: job.id, attempt: 1 })).toBe(true);
    expect(await runJob(job.id, 2)).toBe('succeeded');

    expect(slurmJobsNamed(job.id)).toBe(1);
    const after = await db.trainingJob.findUniqueOrThrow({ where: { id: job.id } });
    expect((after.slurm as SlurmJobRecord).jobId).toBe(slurmJobId);
    const log = await messages(job.id);
    const steps = log.filter((m) => m.startsWith('Step ')).map((m) => Number(/^Step (\d+)\//.exec(m)![1]));
    expect(steps).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(log.filter((m) => m.startsWith('Training '))).toHaveLength(1);
    expect(log.filter((m) => m === 'The job has successfully completed.')).toHaveLength(1);
  }, 300_000);

  it('hands the job back instead of submitting it again when Slurm cannot be asked about the job it would re-attach to', async () => {
    const job = await queuedJob({ epochs: 12 });
    const resume = await detachAfterFirstStep(job.id);
    expect(await requeueLapsed(db, { jobId: job.id, attempt: 1 })).toBe(true);
    // A runner whose scontrol cannot ask slurmctld (here: a configuration it cannot parse, so it
    // fails at once) must not take "no answer" for "no such job".
    const badConf = path.join(work, 'unparsable-slurm.conf');
    await writeFile(badConf, '');
    const unreachable = createSlurmExecutor({ env: { ...cluster!.env, SLURM_CONF: badConf }, defaults: { partition: cluster!.partition }, pollMs: 100 });
    expect(await runTrainingJob({ db, store, executor: unreachable, runnerId, jobId: job.id, attempt: 2, workRoot: cluster!.workdir, log, cpus: 1, heartbeatMs: 250 })).toBe('detached');
    expect(slurmJobsNamed(job.id)).toBe(1);
    resume();
    // The next attempt, with the scheduler back, follows the one Slurm job to its end.
    expect(await requeueLapsed(db, { jobId: job.id, attempt: 2 })).toBe(true);
    expect(await runJob(job.id, 3)).toBe('succeeded');
    expect(slurmJobsNamed(job.id)).toBe(1);
    const steps = (await messages(job.id)).filter((m) => m.startsWith('Step ')).map((m) => Number(/^Step (\d+)\//.exec(m)![1]));
    expect(steps).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  }, 300_000);

  it('re-attaches after the runner is killed outright mid-job (SIGKILL, no hand-back), with every event exactly once', async () => {
    const job = await queuedJob({ epochs: 12 });
    // The first attempt's job loop in a process of its own, killed without warning: nothing is
    // flushed, handed back or detached, so the next runner has only what was saved along the way.
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/run-training-job-child.ts', JSON.stringify({ jobId: job.id, attempt: 1, runnerId, workRoot: cluster!.workdir, partition: cluster!.partition })], {
      env: cluster!.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let childOutput = '';
    child.stdout.on('data', (chunk: Buffer) => (childOutput += chunk));
    child.stderr.on('data', (chunk: Buffer) => (childOutput += chunk));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    try {
      await eventually(
        async () => {
          if (child.exitCode !== null) throw new Error(`The runner process ended before it was killed: ${childOutput}`);
          const row = await db.trainingJob.findUnique({ where: { id: job.id } });
          return ((row?.progress as { step?: number } | null)?.step ?? 0) >= 2 && (row?.slurm as SlurmJobRecord | null)?.jobId ? true : undefined;
        },
        120_000,
        'step 2 with the Slurm job recorded',
      );
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');
    const left = await db.trainingJob.findUniqueOrThrow({ where: { id: job.id } });
    expect(left.status).toBe('running');
    expect(left.heartbeatAt!.getTime()).toBeGreaterThan(0);
    const slurmJobId = (left.slurm as SlurmJobRecord).jobId;
    // The killed runner's Slurm job goes on without it.
    expect(execFileSync('scontrol', ['show', 'job', '-o', slurmJobId], { env: cluster!.env, encoding: 'utf8' })).toMatch(/JobState=(PENDING|RUNNING|COMPLETING|COMPLETED) /);
    // What the reaper does once the dead runner's claim lapses: queue the job for the next attempt.
    expect(await requeueLapsed(db, { jobId: job.id, attempt: 1 })).toBe(true);
    const outcome = await runJob(job.id, 2);
    const after = await db.trainingJob.findUniqueOrThrow({ where: { id: job.id } });
    expect({ outcome, error: after.error }).toEqual({ outcome: 'succeeded', error: null });

    expect(slurmJobsNamed(job.id)).toBe(1);
    expect((after.slurm as SlurmJobRecord).jobId).toBe(slurmJobId);
    const log = await messages(job.id);
    expect(log.filter((m) => m.startsWith('Submitted to Slurm as job '))).toEqual([`Submitted to Slurm as job ${slurmJobId}.`]);
    const steps = log.filter((m) => m.startsWith('Step ')).map((m) => Number(/^Step (\d+)\//.exec(m)![1]));
    expect(steps).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(log.filter((m) => m.startsWith('Training '))).toHaveLength(1);
    const checkpoints = (await db.checkpoint.findMany({ where: { jobId: job.id }, orderBy: { step: 'asc' } })).map((c) => `Checkpoint saved at step ${c.step}.`);
    expect(checkpoints.length).toBeGreaterThan(0);
    expect(log.filter((m) => m.startsWith('Checkpoint saved at step '))).toEqual(checkpoints);
    expect(log.filter((m) => m === 'The job has successfully completed.')).toHaveLength(1);
  }, 300_000);

  it('cancels through scancel --signal=TERM into a checkpoint', async () => {
    const job = await queuedJob({ epochs: 500 });
    const outcome = runJob(job.id, 1);
    await eventually(async () => ((await db.trainingJob.findUnique({ where: { id: job.id } }))?.progress as { step?: number } | null)?.step! >= 2 || undefined, 120_000, 'step 2');
    await db.trainingJob.update({ where: { id: job.id }, data: { cancelRequestedAt: new Date() } });
    expect(await outcome).toBe('cancelled');
    const done = await db.trainingJob.findUniqueOrThrow({ where: { id: job.id } });
    expect(done.status).toBe('cancelled');
    expect(await db.checkpoint.count({ where: { jobId: job.id } })).toBeGreaterThan(0);
  }, 240_000);

  it('fails a job that Slurm ended with a message that says what happened', async () => {
    const job = await queuedJob({ epochs: 500 });
    const outcome = runJob(job.id, 1);
    await eventually(async () => ((await db.trainingJob.findUnique({ where: { id: job.id } }))?.progress as { step?: number } | null)?.step! >= 1 || undefined, 120_000, 'step 1');
    const slurmJobId = ((await db.trainingJob.findUniqueOrThrow({ where: { id: job.id } })).slurm as SlurmJobRecord).jobId;
    execFileSync('scancel', [slurmJobId], { env: cluster!.env });
    expect(await outcome).toBe('failed');
    const done = await db.trainingJob.findUniqueOrThrow({ where: { id: job.id } });
    expect(done.error).toMatchObject({ code: 'slurm_cancelled', message: expect.stringMatching(new RegExp(`^The Slurm job ${slurmJobId} was cancelled outside Lathe at step \\d+ \\(by scancel or a cluster administrator\\)\\.$`)) });
    expect((done.slurm as SlurmJobRecord).state).toBe('CANCELLED');
  }, 240_000);

  it('fails a job that outlives its Slurm time limit with the TIMEOUT message', async () => {
    const { jobId, outcome } = overrun;
    expect(await outcome).toBe('failed');
    const done = await db.trainingJob.findUniqueOrThrow({ where: { id: jobId } });
    const slurm = done.slurm as SlurmJobRecord;
    expect(slurm.state).toBe('TIMEOUT');
    expect(done.error).toMatchObject({
      code: 'slurm_timeout',
      message: expect.stringMatching(new RegExp(`^The Slurm job ${slurm.jobId} reached its time limit of 00:01:00 at step \\d+ and Slurm stopped it \\(TIMEOUT\\)\\. Ask for a longer time limit or train fewer steps\\.$`)),
    });
    expect(await messages(jobId)).toContain(`Fine-tuning failed: ${(done.error as { message: string }).message}`);
  }, 300_000);
});
