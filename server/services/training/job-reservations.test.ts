// A job's credit reservation is released whatever ends the job: a cancel while the worker
// prepares it, a failure after the reservation, or a crash between a job's end and its settlement
// (which the sweep finds). Real database, real artifact store, the real tokenizer.
import { watch } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { getBoss, stopBoss } from '@/server/queue/boss';
import { createTestUser, type TestUser } from '@/tests/helpers/factories';
import { seedTokenizerModel, storeFixtureTokenizer, tenantOf, type StoredFiles } from '@/tests/kit/datasets';
import { chatLines } from '@/tests/fixtures/datasets/generate-chat';
import { datasetStore } from '@/server/services/datasets/platform/config';
import { createDataset } from '@/server/services/datasets/platform/create-dataset';
import { runDatasetValidation } from '@/server/services/datasets/platform/run-dataset-validation';
import { grantCredits, getBalance } from '@/server/services/credits/credits';
import { reserveForJob } from '@/server/services/credits/ledger';
import { releaseStaleReservations } from '@/server/services/credits/release-stale-reservations';
import { createJob } from '@/server/services/training/create-job';
import { cancelJob } from '@/server/services/training/manage-jobs';
import { failJob, prepareJob } from '@/server/services/training/prepare-job';
import { toApiFileId, toApiJobId } from '@/server/services/training/openai-shapes';
import type { JobStatus } from '@/server/generated/prisma/client';

const EXAMPLES = 150;
let work: string;
let tokenizerFiles: StoredFiles;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'lathe-reservations-'));
  tokenizerFiles = await storeFixtureTokenizer();
});
afterAll(async () => {
  await stopBoss();
  await rm(work, { recursive: true, force: true });
});

/** A user with 1000 credits, a trainable model of the fixture tokenizer and a validated chat file. */
async function account(examples: number) {
  const user = await createTestUser();
  await grantCredits({ db: getDb(), organizationId: user.organization.id, amount: 1000, actor: {} });
  const model = await seedTokenizerModel(user, `reservations-${user.organization.id}`, tokenizerFiles);
  const lines = chatLines(examples);
  const file = path.join(work, `${user.organization.id}.jsonl`);
  await writeFile(file, Array.from({ length: examples }, () => lines.next().value!).join('\n') + '\n');
  const dataset = await createDataset({ tenant: tenantOf(user), source: { path: file }, filename: 'chats.jsonl' });
  await runDatasetValidation({ datasetId: dataset.id, db: getDb() });
  return { user, model };
}

const balance = (user: TestUser) => getBalance({ db: getDb(), organizationId: user.organization.id });
const held = async (jobId: string) => {
  const entries = await getDb().creditLedgerEntry.findMany({ where: { jobId } });
  return entries.reduce((sum, e) => sum + Number(e.amount), 0);
};

describe('credit reservations of training jobs', () => {
  it('holds no credits for a job cancelled while the worker prepares it', async () => {
    const { user, model } = await account(EXAMPLES);
    const dataset = await getDb().dataset.findFirstOrThrow({ where: { organizationId: user.organization.id } });
    const job = await createJob({ tenant: tenantOf(user), db: getDb(), input: { model: model.name, training_file: toApiFileId(dataset.id) } });
    const workRoot = await mkdtemp(path.join(work, 'prepare-'));
    // The cancel lands once preparing has begun (its work folder appears), while it tokenizes.
    let cancelled: Promise<unknown> | null = null;
    const watcher = watch(workRoot, () => {
      cancelled ??= cancelJob({ tenant: tenantOf(user), db: getDb(), id: toApiJobId(job.id) });
    });
    try {
      await prepareJob({ db: getDb(), store: datasetStore(), boss: await getBoss(), jobId: job.id, workRoot });
    } finally {
      watcher.close();
    }
    expect(cancelled).not.toBeNull();
    await cancelled;
    const row = await getDb().trainingJob.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.status).toBe('cancelled');
    expect(await held(job.id)).toBe(0);
    expect(await balance(user)).toBe('1000');
  });

  it('queues a prepared job with its estimate reserved', async () => {
    const { user, model } = await account(60);
    const dataset = await getDb().dataset.findFirstOrThrow({ where: { organizationId: user.organization.id } });
    const job = await createJob({ tenant: tenantOf(user), db: getDb(), input: { model: model.name, training_file: toApiFileId(dataset.id) } });
    await prepareJob({ db: getDb(), store: datasetStore(), boss: await getBoss(), jobId: job.id, workRoot: work });
    const row = await getDb().trainingJob.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.error).toBeNull();
    expect(row.status).toBe('queued');
    expect(await held(job.id)).toBe(-Number(row.estimatedCost));
    expect(Number(row.estimatedCost)).toBeGreaterThan(0);
  });

  it('releases the reservation when a job fails after it was reserved', async () => {
    for (const status of ['validating_files', 'queued', 'running'] as JobStatus[]) {
      const { user, model } = await account(1);
      const dataset = await getDb().dataset.findFirstOrThrow({ where: { organizationId: user.organization.id } });
      const job = await getDb().trainingJob.create({
        data: { organizationId: user.organization.id, projectId: user.project.id, baseModelId: model.id, trainingDatasetId: dataset.id, status, hyperparameters: {}, seed: 1 },
      });
      await reserveForJob({ db: getDb(), organizationId: user.organization.id, jobId: job.id, amount: 12.5, actor: {} });
      expect(await balance(user)).toBe('987.5');
      await failJob(getDb(), job.id, { code: 'storage_error', message: 'The artifact store refused the tokenized data.' });
      expect((await getDb().trainingJob.findUniqueOrThrow({ where: { id: job.id } })).status, status).toBe('failed');
      expect(await balance(user), status).toBe('1000');
    }
    const { user, model } = await account(1);
    const dataset = await getDb().dataset.findFirstOrThrow({ where: { organizationId: user.organization.id } });
    const unreserved = await getDb().trainingJob.create({
      data: { organizationId: user.organization.id, projectId: user.project.id, baseModelId: model.id, trainingDatasetId: dataset.id, hyperparameters: {}, seed: 1 },
    });
    await failJob(getDb(), unreserved.id, { code: 'invalid_file', message: 'The training file is not valid.' });
    expect(await getDb().creditLedgerEntry.count({ where: { jobId: unreserved.id } })).toBe(0);
  });

  it('settles reservations whose job ended without a settlement, and leaves the others alone', async () => {
    const { user, model } = await account(1);
    const dataset = await getDb().dataset.findFirstOrThrow({ where: { organizationId: user.organization.id } });
    const long = new Date(Date.now() - 3_600_000);
    const jobIn = async (data: { status: JobStatus; trainedTokens?: bigint; startedAt?: Date; runnerId?: string; finishedAt?: Date | null }) => {
      const job = await getDb().trainingJob.create({
        data: { organizationId: user.organization.id, projectId: user.project.id, baseModelId: model.id, trainingDatasetId: dataset.id, hyperparameters: {}, seed: 1, finishedAt: long, ...data },
      });
      await reserveForJob({ db: getDb(), organizationId: user.organization.id, jobId: job.id, amount: 10, actor: {} });
      return job;
    };
    const runner = await getDb().runner.create({ data: { name: `sweep-${user.organization.id}`, hostname: 'test', gpus: [], memoryBytes: 1n, executor: 'process' } });
    const failed = await jobIn({ status: 'failed' });
    // 1M trained tokens at 3 credits per million: 3 of the 10 reserved are charged.
    const succeeded = await jobIn({ status: 'succeeded', trainedTokens: 1_000_000n, startedAt: long, runnerId: runner.id });
    const cancelledRunning = await jobIn({ status: 'cancelled', trainedTokens: 1_000_000n, startedAt: long, runnerId: runner.id });
    // markQueued wrote the estimate into trainedTokens; cancelled before a runner took it, nothing trained.
    const cancelledQueued = await jobIn({ status: 'cancelled', trainedTokens: 2_000_000n });
    const running = await jobIn({ status: 'running', finishedAt: null, startedAt: long, runnerId: runner.id });
    const justEnded = await jobIn({ status: 'failed', finishedAt: new Date() });
    expect(await balance(user)).toBe('940');

    const released = await releaseStaleReservations({ db: getDb(), graceMs: 60_000 });
    const mine = released.filter((r) => r.organizationId === user.organization.id);
    expect(new Set(mine.map((r) => r.jobId))).toEqual(new Set([failed.id, succeeded.id, cancelledRunning.id, cancelledQueued.id]));
    expect(await held(failed.id)).toBe(0);
    expect(await held(succeeded.id)).toBe(-3);
    expect(await held(cancelledRunning.id)).toBe(-3);
    expect(await held(cancelledQueued.id)).toBe(0);
    expect(await held(running.id)).toBe(-10);
    expect(await held(justEnded.id)).toBe(-10);
    expect(await balance(user)).toBe('974');
    expect((await releaseStaleReservations({ db: getDb(), graceMs: 60_000 })).filter((r) => r.organizationId === user.organization.id)).toEqual([]);
  });
});
