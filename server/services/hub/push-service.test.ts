// A push through the tRPC procedure and the hub.push run, against a local server in the Hub's
// URL layout: the queued row, the audit entry, the files and card on the Hub, and the refusals.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Job } from 'pg-boss';
import os from 'node:os';
import path from 'node:path';
import { TRPCError } from '@trpc/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { getBoss, stopBoss } from '@/server/queue/boss';
import { pushToHubJob } from '@/server/queue/contracts';
import { artifactStoreConfigFromEnv, createArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { storeFolder } from '@/server/services/artifacts/folders';
import { startFakeHub, type FakeHub } from '@/tests/fixtures/hub/fake-hub';
import { callerFor, createTestUser, type TestUser } from '@/tests/helpers/factories';
import { uploadAndValidate } from '@/tests/kit/datasets';
import { pushToHubHandler } from '@/worker/handlers/push-to-hub';
import { writeRandomAdapter, writeRandomModel } from '@/tests/kit/models/random-model';
import { runHubPush } from './push-service';

const TOKEN = 'hf_lathe_org_push_token';
let root: string;
let owner: TestUser;
let tunedName: string;
let adapterDir: string;
let baseDir: string;
let trainingSha: string;
let hub: FakeHub;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lathe-push-service-'));
  const base = await writeRandomModel({ dir: path.join(root, 'base'), std: 0.1, seed: 3 });
  adapterDir = (await writeRandomAdapter({ dir: path.join(root, 'adapter'), base, r: 4, alpha: 8 })).dir;
  owner = await createTestUser();
  const db = getDb();
  const scope = { organizationId: owner.organization.id, projectId: owner.project.id };
  const { row: dataset } = await uploadAndValidate(owner, 'good/chat.jsonl');
  trainingSha = dataset.sha256!;
  const store = createArtifactStore(artifactStoreConfigFromEnv());
  // A READY base with its Hugging Face folder, so the merged model can be made; the merge reads only that folder.
  await mkdir(path.join(root, 'gguf'));
  await writeFile(path.join(root, 'gguf', 'model.gguf'), 'GGUF');
  const gguf = await store.put(path.join(root, 'gguf', 'model.gguf'));
  baseDir = base.dir;
  const model = await db.baseModel.create({
    data: { ...scope, name: `tiny-push-${owner.organization.id}`, source: 'FOLDER', status: 'READY', license: 'apache-2.0', artifacts: { hf: { files: await storeFolder(store, base.dir) }, gguf: { sha256: gguf.sha256, size: gguf.size, type: 'F32' } } },
  });
  const job = await db.trainingJob.create({
    data: { ...scope, baseModelId: model.id, trainingDatasetId: dataset.id, status: 'succeeded', suffix: 'push', hyperparameters: { n_epochs: 5, batch_size: 2, learning_rate_multiplier: 1.5 }, seed: 7, trainedTokens: 4321n, finishedAt: new Date(), progress: { trainLoss: 0.75 } },
  });
  await db.checkpoint.create({ data: { jobId: job.id, step: 10, metrics: { step: 10, train_loss: 0.625, valid_loss: 0.875 } } });
  const adapter = await storeFolder(store, adapterDir);
  tunedName = `ft:${model.name}:${scope.organizationId}:push:${job.id}`;
  await db.fineTunedModel.create({ data: { ...scope, name: tunedName, baseModelId: model.id, jobId: job.id, artifacts: { adapter } } });
});
afterEach(async () => {
  await hub?.close();
});
afterAll(async () => {
  await stopBoss();
  await rm(root, { recursive: true, force: true });
});

describe('Hub push', () => {
  it('refuses without an organization token, before anything is queued', async () => {
    const error = (await callerFor(owner).serving.hubPush({ fineTunedModel: tunedName, repo: 'acme/x' }).catch((e: unknown) => e)) as TRPCError;
    expect(error.code).toBe('PRECONDITION_FAILED');
    expect(error.message).toContain('Hugging Face token');
    expect(await getDb().hubPush.count({ where: { organizationId: owner.organization.id } })).toBe(0);
  });

  it('queues, audits and pushes the adapter with a model card naming the data hash, hyperparameters and metrics', async () => {
    const caller = callerFor(owner);
    await caller.organization.hubToken.set({ token: TOKEN });
    hub = await startFakeHub({ repos: [], token: TOKEN, push: { user: 'alice', orgs: ['acme'] } });
    const push = await caller.serving.hubPush({ fineTunedModel: tunedName, repo: 'acme/facts', kind: 'adapter' });
    expect(push).toMatchObject({ status: 'queued', repo: 'acme/facts', kind: 'adapter', private: true });
    const audit = await getDb().auditLogEntry.findFirst({ where: { organizationId: owner.organization.id, action: 'model.hub_push' } });
    expect(audit?.data).toMatchObject({ repo: 'acme/facts', kind: 'adapter', pushId: push.id });

    expect(await runHubPush(push.id, { hubUrl: hub.url })).toEqual({ status: 'succeeded', url: `${hub.url}/acme/facts` });
    const [row] = await caller.serving.hubPushes({ fineTunedModel: tunedName });
    expect(row).toMatchObject({ id: push.id, status: 'succeeded', url: `${hub.url}/acme/facts`, progress: { phase: 'done' } });
    expect(row!.commitOid).toMatch(/^[0-9a-f]{40}$/);

    expect(hub.requests.filter((r) => r.url.startsWith('/api/')).every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(hub.requests.some((r) => r.method === 'POST' && r.url === '/api/repos/create')).toBe(true);
    const repo = hub.pushed.get('acme/facts')!;
    expect([...repo.files.keys()].sort()).toEqual(['README.md', 'adapter_config.json', 'adapter_model.safetensors']);
    expect(repo.files.get('adapter_model.safetensors')!.equals(await readFile(path.join(adapterDir, 'adapter_model.safetensors')))).toBe(true);
    const card = repo.files.get('README.md')!.toString();
    expect(card).toContain('library_name: peft');
    expect(card).toMatch(/base_model: "tiny-push-[a-z0-9]+"/);
    expect(card).toContain('license: "apache-2.0"');
    expect(card).toContain(trainingSha);
    expect(card).toContain('| n_epochs | 5 |');
    expect(card).toContain('| learning_rate_multiplier | 1.5 |');
    expect(card).toContain('| valid_loss | 0.875 |');
    expect(card).toContain('Trained tokens: 4321');
    // A finished push is not run twice.
    expect(await runHubPush(push.id, { hubUrl: hub.url })).toEqual({ status: 'skipped' });
  });

  it('pushes the merged model through the hub.push worker handler: safetensors, config and tokenizer', async () => {
    const caller = callerFor(owner);
    hub = await startFakeHub({ repos: [], token: TOKEN, push: { user: 'alice', orgs: ['acme'] } });
    const saved = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = hub.url;
    try {
      const push = await caller.serving.hubPush({ fineTunedModel: tunedName, repo: 'acme/facts-merged', kind: 'merged', private: false });
      // The job the procedure queued, taken from pg-boss and run by the worker's handler.
      const queued = (await (await getBoss()).fetch<unknown>(pushToHubJob.name, { batchSize: 50 })).find((j) => (j.data as { payload?: { pushId?: string } }).payload?.pushId === push.id);
      expect(queued).toBeDefined();
      await pushToHubHandler.handle(queued as Job<unknown>);
      const [row] = await caller.serving.hubPushes({ fineTunedModel: tunedName });
      expect(row).toMatchObject({ id: push.id, status: 'succeeded', kind: 'merged', private: false });
    } finally {
      if (saved === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = saved;
    }
    const repo = hub.pushed.get('acme/facts-merged')!;
    expect(repo.private).toBe(false);
    expect([...repo.files.keys()]).toEqual(expect.arrayContaining(['model.safetensors', 'config.json', 'tokenizer.json', 'tokenizer_config.json', 'README.md']));
    expect(repo.files.has('adapter_model.safetensors')).toBe(false);
    expect(repo.files.get('config.json')!.equals(await readFile(path.join(baseDir, 'config.json')))).toBe(true);
    // The weights are the merged ones, not the base's.
    expect(repo.files.get('model.safetensors')!.equals(await readFile(path.join(baseDir, 'model.safetensors')))).toBe(false);
    expect(repo.files.get('README.md')!.toString()).toContain('library_name: transformers');
  }, 120_000);

  it('ends failed with a sentence when the repo belongs to someone else, and rejects a malformed repo id', async () => {
    const caller = callerFor(owner);
    hub = await startFakeHub({ repos: [], token: TOKEN, push: { user: 'alice', existing: ['bob/model'] } });
    const push = await caller.serving.hubPush({ fineTunedModel: tunedName, repo: 'bob/model' });
    const outcome = await runHubPush(push.id, { hubUrl: hub.url });
    expect(outcome).toMatchObject({ status: 'failed', code: 'hub_repo_not_ours' });
    const [row] = await caller.serving.hubPushes({ fineTunedModel: tunedName });
    expect(row).toMatchObject({ status: 'failed', error: { code: 'hub_repo_not_ours' } });
    expect((row!.error as { message: string }).message).toContain('bob/model');
    expect(hub.pushed.get('bob/model')!.commits).toHaveLength(0);
    const bad = (await caller.serving.hubPush({ fineTunedModel: tunedName, repo: 'no slash' }).catch((e: unknown) => e)) as TRPCError;
    expect(bad.code).toBe('BAD_REQUEST');
  });
});
