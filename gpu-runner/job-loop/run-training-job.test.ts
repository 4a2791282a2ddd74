// A runner in the middle of a job whose account is deleted: its writes can no longer land (the
// job's rows are gone), so it stops the trainer and gives the job's slot back instead of retrying
// them forever. Real database, artifact store, trainer and process executor.
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { logger } from '@/server/logger';
import { createArtifactStore, artifactStoreConfigFromEnv } from '@/server/services/artifacts/create-artifact-store';
import { deleteAccount } from '@/server/services/users/delete-account';
import { cachedTinyModel, runTrainerModule } from '@/gpu-runner/trainer/python';
import { createProcessExecutor } from '@/gpu-runner/executors/process';
import { createTestUser } from '@/tests/helpers/factories';
import { eventually } from '@/tests/helpers/serving';
import { runTrainingJob } from './run-training-job';

const store = createArtifactStore(artifactStoreConfigFromEnv());
let work: string;
let modelFiles: Record<string, { sha256: string; size: number }>;
let train: { sha256: string; size: number };

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'lathe-run-job-'));
  const modelDir = await cachedTinyModel();
  modelFiles = {};
  for (const name of readdirSync(modelDir)) modelFiles[name] = await store.put(path.join(modelDir, name));
  const chats = path.join(work, 'chats.jsonl');
  await writeFile(chats, ['lantern', 'river', 'violin', 'harbour'].map((noun, i) => JSON.stringify({ messages: [{ role: 'user', content: `What is the code for the ${noun}?` }, { role: 'assistant', content: `The code is ${i}.` }] })).join('\n') + '\n');
  const ltok = path.join(work, 'train.ltok');
  expect(await runTrainerModule('encode_chats', ['--model', modelDir, '--in', chats, '--out', ltok])).toBe(0);
  train = await store.put(ltok);
}, 300_000);
afterAll(() => rm(work, { recursive: true, force: true }));

describe('a training run', () => {
  it("stops the trainer and frees its slot when the job's account is deleted mid-run", async () => {
    const db = getDb();
    const { user, organization, project } = await createTestUser();
    const model = await db.baseModel.create({
      data: { organizationId: organization.id, name: `run-${organization.id}`, source: 'FOLDER', status: 'READY', pricePerMillionTokens: 3, artifacts: { hf: { files: modelFiles }, gguf: { type: 'F32', ...train } } },
    });
    const dataset = await db.dataset.create({ data: { organizationId: organization.id, projectId: project.id, name: 'chats.jsonl', status: 'VALID' } });
    const trainerConfig = { epochs: 5000, batch_size: 2, learning_rate: 0.003, lora: { r: 4, alpha: 8, dropout: 0 }, seed: 5, log_interval: 1, checkpoint_interval: 5 };
    const job = await db.trainingJob.create({
      data: { organizationId: organization.id, projectId: project.id, baseModelId: model.id, trainingDatasetId: dataset.id, status: 'queued', hyperparameters: {}, seed: 5, artifacts: { train, valid: null, trainerConfig } },
    });
    const runner = await db.runner.create({ data: { name: `run-${organization.id}`, hostname: 'test', gpus: [], memoryBytes: 1n, executor: 'process' } });

    const outcome = runTrainingJob({ db, store, executor: createProcessExecutor(), runnerId: runner.id, jobId: job.id, attempt: 1, workRoot: work, log: logger.child({ test: 'run-training-job' }, { level: 'silent' }), cpus: 1, heartbeatMs: 250 });
    await eventually(() => db.checkpoint.findFirst({ where: { jobId: job.id } }), 120_000, 'the first stored checkpoint');
    await deleteAccount({ db, userId: user.id });

    const ended = await Promise.race([outcome, new Promise((resolve) => setTimeout(() => resolve('still running 30 s after the deletion'), 30_000).unref())]);
    expect(ended).toBe('lost');
    expect(await db.trainingJob.count({ where: { id: job.id } })).toBe(0);
  }, 240_000);
});
