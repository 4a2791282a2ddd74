// TrainingJob writes on the real database. Each transition moves a job only from the states it
// names (and, for a runner, only for its attempt) and otherwise writes nothing and reports false.
import { describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import type { JobStatus } from '@/server/generated/prisma/client';
import { createTestUser } from '@/tests/helpers/factories';
import {
  claimJob,
  handBack,
  markCancelled,
  markFailed,
  markQueued,
  markRunCancelled,
  markRunFailed,
  markSucceeded,
  recordHeartbeat,
  recordProgress,
  requeueLapsed,
} from '@/server/services/training/job-transitions';

const SHA = 'a'.repeat(64);

async function jobIn(status: JobStatus, attempt = 0) {
  const db = getDb();
  const { organization, project } = await createTestUser();
  const model = await db.baseModel.create({
    data: { name: `transitions-${organization.id}`, source: 'FOLDER', status: 'READY', organizationId: organization.id, projectId: project.id, pricePerMillionTokens: 3 },
  });
  const dataset = await db.dataset.create({ data: { organizationId: organization.id, projectId: project.id, name: 'train.jsonl', status: 'READY' } });
  const job = await db.trainingJob.create({
    data: { organizationId: organization.id, projectId: project.id, baseModelId: model.id, trainingDatasetId: dataset.id, status, hyperparameters: {}, seed: 1, attempt, artifacts: { train: { sha256: SHA, size: 1 } } },
  });
  return { job, organization };
}

const row = (id: string) => getDb().trainingJob.findUniqueOrThrow({ where: { id } });
const runner = () => getDb().runner.create({ data: { name: `r-${Math.random().toString(36).slice(2)}`, hostname: 'test', gpus: [], memoryBytes: 1n, executor: 'process' } });

describe('job transitions', () => {
  it('queues a job only from validating_files', async () => {
    const { job } = await jobIn('validating_files');
    const prepared = { hyperparameters: { n_epochs: 2 }, trainedTokens: 10n, estimatedCost: 0.5, artifacts: {} };
    expect(await markQueued(getDb(), job.id, prepared)).toBe(true);
    expect(await row(job.id)).toMatchObject({ status: 'queued', trainedTokens: 10n });
    const cancelled = await jobIn('cancelled');
    expect(await markQueued(getDb(), cancelled.job.id, prepared)).toBe(false);
    expect(await row(cancelled.job.id)).toMatchObject({ status: 'cancelled', trainedTokens: null });
  });

  it('lets one runner claim the attempt it was handed, and only once', async () => {
    const { job } = await jobIn('queued', 1);
    const { id: runnerId } = await runner();
    expect(await claimJob(getDb(), { jobId: job.id, attempt: 3 }, runnerId)).toBe(false);
    expect(await claimJob(getDb(), { jobId: job.id, attempt: 2 }, runnerId)).toBe(true);
    const claimed = await row(job.id);
    expect(claimed).toMatchObject({ status: 'running', attempt: 2, runnerId, cancelRequestedAt: null });
    expect(claimed.startedAt).toBeInstanceOf(Date);
    expect(await claimJob(getDb(), { jobId: job.id, attempt: 2 }, runnerId)).toBe(false);
  });

  it('fences a runner out once its attempt is over', async () => {
    const { job } = await jobIn('running', 2);
    const stale = { jobId: job.id, attempt: 1 };
    for (const write of [
      () => recordHeartbeat(getDb(), stale),
      () => recordProgress(getDb(), stale, { step: 1 }),
      () => handBack(getDb(), stale),
      () => requeueLapsed(getDb(), stale),
      () => markSucceeded(getDb(), stale),
      () => markRunFailed(getDb(), stale, { code: 'x', message: 'y' }),
      () => markRunCancelled(getDb(), stale, 5),
    ]) {
      expect(await write()).toBe(false);
    }
    expect(await row(job.id)).toMatchObject({ status: 'running', attempt: 2, progress: null, error: null, finishedAt: null });
  });

  it('ends an attempt once, and says so again when the ending is retried', async () => {
    const { job } = await jobIn('running', 1);
    const run = { jobId: job.id, attempt: 1 };
    expect(await markRunCancelled(getDb(), run, 40)).toBe(true);
    const ended = await row(job.id);
    expect(ended).toMatchObject({ status: 'cancelled', trainedTokens: 40n });
    expect(await markRunCancelled(getDb(), run, 40)).toBe(true);
    expect((await row(job.id)).finishedAt).toEqual(ended.finishedAt);
    expect(await markSucceeded(getDb(), run)).toBe(false);
  });

  it('requeues a lapsed attempt without its runner', async () => {
    const { job } = await jobIn('running', 1);
    expect(await requeueLapsed(getDb(), { jobId: job.id, attempt: 1 })).toBe(true);
    expect(await row(job.id)).toMatchObject({ status: 'queued', attempt: 1, runnerId: null });
  });

  it('cancels before a run and fails a job, but never one that has ended or, for a cancel, started', async () => {
    const queued = await jobIn('queued');
    expect(await markCancelled(getDb(), queued.job.id, new Date())).toBe(true);
    expect((await row(queued.job.id)).status).toBe('cancelled');
    const running = await jobIn('running', 1);
    expect(await markCancelled(getDb(), running.job.id, new Date())).toBe(false);
    expect(await markFailed(getDb(), running.job.id, { code: 'internal_error', message: 'x' })).toBe(true);
    expect(await row(running.job.id)).toMatchObject({ status: 'failed', error: { code: 'internal_error', message: 'x' } });
    const done = await jobIn('succeeded');
    expect(await markFailed(getDb(), done.job.id, { code: 'internal_error', message: 'x' })).toBe(false);
    expect((await row(done.job.id)).status).toBe('succeeded');
  });
});
