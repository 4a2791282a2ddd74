// The core loop through the official openai client alone: upload a chat file, create a job on
// the imported fixture, watch it succeed, read its events and checkpoints; then the learning
// check on the adapter it produced. Web, worker and gpu-runner run as real processes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { startPlatform, type Platform } from '@/scripts/lib/supervisor';
import { cachedTinyModel } from '@/gpu-runner/trainer/python';
import { lastLine, runLathe } from '@/tests/helpers/cli';
import { learningCheck, learningCheckChats, type Chat } from '@/tests/helpers/learning-check';
import { getDb } from '@/server/db';
import { artifactStoreConfigFromEnv, createArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { materializeFolder } from '@/server/services/artifacts/folders';
import { fromApiJobId } from '@/server/services/training/openai-shapes';
import { useOwnDatabase } from '@/tests/helpers/own-database';

let platform: Platform;
let client: OpenAI;
let modelDir: string;
let chats: Chat[];
const email = `ft-${Date.now()}@example.test`;
const modelName = `tiny-ft-${Date.now()}`;
const logs: string[] = [];

// Its worker and runner processes must see only its own rows (tests/helpers/own-database.ts).
useOwnDatabase();

beforeAll(async () => {
  const t0 = Date.now();
  const mark = (what: string) => logs.push(`setup: ${what} after ${Math.round((Date.now() - t0) / 1000)} s`);
  modelDir = await cachedTinyModel();
  mark('fixture');
  chats = await learningCheckChats();
  const imported = await runLathe(['models', 'import', modelDir, '--name', modelName]);
  expect(imported.code, imported.stderr).toBe(0);
  mark('import');
  expect((await runLathe(['user', 'create', '--email', email, '--password', 'ft-Good-passphrase-1'])).code).toBe(0);
  const key = lastLine((await runLathe(['key', 'create', '--email', email])).stdout);
  expect((await runLathe(['credits', 'grant', '--email', email, '--amount', '1000'])).code).toBe(0);
  platform = await startPlatform({ port: 0, env: { LOG_LEVEL: 'warn', LATHE_EXECUTOR: 'process', RUNNER_CPUS: '1' }, log: (l) => logs.push(l) });
  mark('platform');
  client = new OpenAI({ apiKey: key, baseURL: `${platform.url}/v1`, maxRetries: 0 });
  console.log(logs.filter((l) => l.startsWith('setup:')).join('\n'));
}, 600_000);

afterAll(async () => {
  await platform?.stop();
});

async function waitForStatus(id: string, done: (status: string) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await client.fineTuning.jobs.retrieve(id);
    if (done(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${timeoutMs / 1000}s\n${logs.slice(-30).join('\n')}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describe('fine-tuning through the OpenAI API', () => {
  let jobId: string;

  it('uploads the training file and creates a job on the fixture', async () => {
    const jsonl = chats.map((messages) => JSON.stringify({ messages })).join('\n') + '\n';
    const file = await client.files.create({ file: await toFile(Buffer.from(jsonl), 'codes.jsonl'), purpose: 'fine-tune' });
    expect(file.object).toBe('file');
    const job = await client.fineTuning.jobs.create({
      model: modelName,
      training_file: file.id,
      suffix: 'codes',
      seed: 1,
      // Lathe's own settings ride along in `hyperparameters` (here at their auto values, so the
      // learning check below measures the same training).
      hyperparameters: { n_epochs: 80, batch_size: 8, learning_rate_multiplier: 20, lora_rank: 16, lora_target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], lr_scheduler: 'cosine' } as OpenAI.FineTuning.JobCreateParams['hyperparameters'],
    });
    expect(job.status).toBe('validating_files');
    expect(job.model).toBe(modelName);
    jobId = job.id;
  });

  it('runs to succeeded with a fine-tuned model, events and checkpoints', async () => {
    const job = await waitForStatus(jobId, (s) => ['succeeded', 'failed', 'cancelled'].includes(s), 240_000);
    expect(job.error, JSON.stringify(job.error)).toBeNull();
    expect(job.status).toBe('succeeded');
    expect(job.fine_tuned_model).toMatch(new RegExp(`^ft:${modelName}:[^:]+:codes:`));
    expect(job.trained_tokens).toBeGreaterThan(0);

    const events = await client.fineTuning.jobs.listEvents(jobId, { limit: 1000 });
    const messages = events.data.map((e) => e.message);
    expect(messages).toContain('The job has successfully completed.');
    const metrics = events.data.filter((e) => e.type === 'metrics').reverse();
    expect(metrics.length).toBeGreaterThan(10);
    const losses = metrics.map((e) => (e.data as { train_loss?: number }).train_loss).filter((l): l is number => typeof l === 'number');
    expect(losses.at(0)! / losses.at(-1)!).toBeGreaterThan(3);

    const checkpoints = await client.fineTuning.jobs.checkpoints.list(jobId);
    expect(checkpoints.data.length).toBeGreaterThan(0);
    expect(checkpoints.data[0]!.fine_tuning_job_id).toBe(jobId);

    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain(job.fine_tuned_model);
  });

  it('produced an adapter that answers the training questions the base cannot', async () => {
    const row = await getDb().trainingJob.findUniqueOrThrow({ where: { id: fromApiJobId(jobId) } });
    const adapter = (row.artifacts as { adapter: Record<string, { sha256: string; size: number }> }).adapter;
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-adapter-')), 'adapter');
    await materializeFolder(createArtifactStore(artifactStoreConfigFromEnv()), adapter, dir);
    // The adapter has the shape the job asked for, and the job reports every setting it trained with.
    const adapterConfig = JSON.parse(fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8')) as { r: number; lora_alpha: number; target_modules: string[] };
    expect(adapterConfig).toMatchObject({ r: 16, lora_alpha: 32 });
    expect([...adapterConfig.target_modules].sort()).toEqual(['down_proj', 'gate_proj', 'k_proj', 'o_proj', 'q_proj', 'up_proj', 'v_proj']);
    const reported = (await client.fineTuning.jobs.retrieve(jobId)).hyperparameters as Record<string, unknown>;
    expect(reported).toMatchObject({ lora_rank: 16, lora_alpha: 32, lora_dropout: 0.05, lr_scheduler: 'cosine', warmup_ratio: 0.03 });
    const tuned = await learningCheck(modelDir, dir, chats);
    const base = await learningCheck(modelDir, null, chats);
    expect(base.hits).toBe(0);
    expect(tuned.hits, JSON.stringify(tuned.replies)).toBeGreaterThanOrEqual(29);
  });

  it('refuses unknown models and files, and malformed bodies, in OpenAI\'s shape', async () => {
    const unknown = await client.fineTuning.jobs.create({ model: 'no-such-model', training_file: 'file-nope' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    const res = await fetch(`${platform.url}/v1/fine_tuning/jobs`, { method: 'POST', headers: { authorization: `Bearer ${client.apiKey}`, 'content-type': 'application/json' }, body: '{"model":' });
    expect(res.status).toBe(400);
    expect((await res.json()).error.type).toBe('invalid_request_error');
  });
});
