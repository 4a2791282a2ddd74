// TrainingJob writes on the real database. Each transition moves a job only from the states it
// names (and, for a runner, only for its attempt) and otherwise writes nothing and reports false;
// the publish and finish services built on them write their rows once per job.
import { describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import type { JobStatus } from '@/server/generated/prisma/client';
import { createTestUser } from '@/tests/helpers/factories';
import { grantCredits } from '@/server/services/credits/credits';
import { reserveForJob } from '@/server/services/credits/ledger';
import {
  claimJob,
  fenceOrganizationJobs,
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
import { finishJob } from '@/server/services/training/finish-job';
import { publishJob } from '@/server/services/training/publish-job';

const SHA = 'a'.repeat(64);

async function jobIn(status: JobStatus, attempt = 0) {
  const db = getDb();
  const { organization, project } = await createTestUser();
  const model = await db.baseModel.create({
    data: { name: `transitions-${organization.id}`, source: 'FOLDER', status: 'READY', organizationId: organization.id, projectId: project.id, pricePerMillionTokens: 3 },
  });
  const dataset = await db.dataset.create({ data: { organizationId: organization.id, projectId: project.id, name: 'train.jsonl', status: 'VALID' } });
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

describe('fenceOrganizationJobs', () => {
  it("cancels every unfinished job of an organization with the next attempt, so its runner's writes change nothing", async () => {
    const running = await jobIn('running', 2);
    const { organizationId, projectId, baseModelId, trainingDatasetId } = running.job;
    const another = (status: JobStatus) =>
      getDb().trainingJob.create({ data: { organizationId, projectId, baseModelId, trainingDatasetId, status, hyperparameters: {}, seed: 1 } });
    const [preparing, queued, succeeded] = [await another('validating_files'), await another('queued'), await another('succeeded')];
    const elsewhere = await jobIn('running', 1);
    expect(await fenceOrganizationJobs(getDb(), organizationId, new Date())).toBe(3);
    for (const id of [running.job.id, preparing.id, queued.id]) expect((await row(id)).status).toBe('cancelled');
    expect(await row(running.job.id)).toMatchObject({ attempt: 3 });
    expect(await recordHeartbeat(getDb(), { jobId: running.job.id, attempt: 2 })).toBe(false);
    expect(await claimJob(getDb(), { jobId: queued.id, attempt: 1 }, (await runner()).id)).toBe(false);
    expect((await row(succeeded.id)).status).toBe('succeeded');
    expect((await row(elsewhere.job.id)).status).toBe('running');
  });
});

describe('publishJob and finishJob', () => {
  const published = { adapter: { 'adapter_model.safetensors': { sha256: SHA, size: 2 } }, adapterGguf: { sha256: SHA, size: 3 }, metrics: { sha256: SHA, size: 4 }, progress: { etaSeconds: 0 } };

  it('creates the fine-tuned model and its audit entry once, and settles to the tokens trained', async () => {
    const { job: created, organization } = await jobIn('running', 1);
    await grantCredits({ db: getDb(), organizationId: organization.id, amount: 10, actor: {} });
    await reserveForJob({ db: getDb(), organizationId: organization.id, jobId: created.id, amount: 1, actor: {} });
    const job = await getDb().trainingJob.findUniqueOrThrow({ where: { id: created.id }, include: { baseModel: true, organization: { select: { slug: true } } } });
    const name = await publishJob({ db: getDb(), job, attempt: 1, trainedTokens: 1, ...published });
    expect(name).toBe(`ft:${job.baseModel.name}:${organization.slug}::${job.id}`);
    expect(await publishJob({ db: getDb(), job, attempt: 1, trainedTokens: 1, ...published })).toBe(name);
    expect(await getDb().fineTunedModel.count({ where: { jobId: job.id } })).toBe(1);
    expect(await getDb().auditLogEntry.count({ where: { action: 'model.fine_tuned.create', targetId: name } })).toBe(1);
    expect((await row(job.id)).artifacts).toMatchObject({ train: { sha256: SHA }, adapterGguf: { size: 3 }, metrics: { size: 4 } });

    expect(await finishJob({ db: getDb(), job, attempt: 1, ending: { status: 'succeeded', trainedTokens: 1 } })).toBe(true);
    expect(await finishJob({ db: getDb(), job, attempt: 1, ending: { status: 'succeeded', trainedTokens: 1 } })).toBe(true);
    const settlements = await getDb().creditLedgerEntry.findMany({ where: { jobId: job.id, kind: 'SETTLEMENT' } });
    // 1 credit reserved, 1 token at 3 credits per million charged.
    expect(settlements.map((s) => s.amount.toString())).toEqual(['0.999997']);
  });

  it('writes nothing for an attempt that no longer holds the job', async () => {
    const { job: created } = await jobIn('running', 2);
    const job = await getDb().trainingJob.findUniqueOrThrow({ where: { id: created.id }, include: { baseModel: true, organization: { select: { slug: true } } } });
    expect(await publishJob({ db: getDb(), job, attempt: 1, trainedTokens: 1, ...published })).toBeNull();
    expect(await finishJob({ db: getDb(), job, attempt: 1, ending: { status: 'failed', error: { code: 'x', message: 'y' } } })).toBe(false);
    expect(await getDb().fineTunedModel.count({ where: { jobId: job.id } })).toBe(0);
    expect(await getDb().creditLedgerEntry.count({ where: { jobId: job.id } })).toBe(0);
    expect((await row(job.id)).status).toBe('running');
  });
});
