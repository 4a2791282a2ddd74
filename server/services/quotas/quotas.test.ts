// Organization limits through the real routers, database and import: concurrent jobs and
// deployments, stored bytes, imports per 24 hours, a positive balance to deploy, and a platform
// administrator setting them per organization over the environment's defaults.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedTinyModel } from '@/gpu-runner/trainer/python';
import { getDb } from '@/server/db';
import { stopBoss } from '@/server/queue/boss';
import { LatheError } from '@/server/services/errors';
import { requestModelImport } from '@/server/services/model-registry/request-model-import';
import { runModelImport } from '@/server/services/model-registry/run-model-import';
import { requestDeployment } from '@/server/services/serving/deployments';
import { fromApiJobId } from '@/server/services/training/openai-shapes';
import { startFakeHub } from '@/tests/fixtures/hub/fake-hub';
import { callerFor, createTestKey, createTestUser, type TestUser } from '@/tests/helpers/factories';
import { POST as createUpload } from '@/app/api/uploads/[[...id]]/route';
import { tenantOf } from '@/tests/kit/datasets';

const SHA = 'b'.repeat(64);
const ENV = ['LATHE_QUOTA_CONCURRENT_JOBS', 'LATHE_QUOTA_CONCURRENT_DEPLOYMENTS', 'LATHE_QUOTA_STORAGE_BYTES', 'LATHE_QUOTA_IMPORTS_PER_DAY'] as const;
const saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));
const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
let admin: TestUser;

beforeAll(async () => {
  admin = await createTestUser({ admin: true });
});

afterAll(async () => {
  await stopBoss();
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

async function refusal(promise: Promise<unknown>) {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TRPCError);
  const { code, message, cause } = error as TRPCError;
  return { code, message, reason: (cause as LatheError | undefined)?.details.reason, retryAfter: (cause as LatheError | undefined)?.details.retryAfterSeconds };
}

async function grant(user: TestUser, amount = 100) {
  await getDb().creditLedgerEntry.create({ data: { organizationId: user.organization.id, kind: 'GRANT', amount } });
}

/** A READY base model of the user's organization, trainable and servable as far as the rows go. */
async function readyModel(user: TestUser, name = unique('model')) {
  return getDb().baseModel.create({
    data: {
      organizationId: user.organization.id,
      projectId: user.project.id,
      name,
      source: 'FOLDER',
      status: 'READY',
      chatTemplate: true,
      sizeBytes: 0n,
      details: { trainable: true },
      artifacts: { hf: { files: { 'config.json': { sha256: SHA, size: 1 } } }, gguf: { type: 'F32', sha256: SHA, size: 1 } },
    },
  });
}

describe('concurrent fine-tuning jobs', () => {
  it('refuses a job beyond the limit with 429 concurrent_jobs_limit, and takes one again once a job has ended', async () => {
    process.env.LATHE_QUOTA_CONCURRENT_JOBS = '1';
    try {
      const user = await createTestUser();
      await grant(user);
      const model = await readyModel(user);
      const dataset = await getDb().dataset.create({ data: { organizationId: user.organization.id, projectId: user.project.id, name: 'train.jsonl', status: 'VALID' } });
      const create = () => callerFor(user).job.create({ model: model.name, training_file: `file-${dataset.id}` });
      const first = await create();
      expect(await refusal(create())).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'concurrent_jobs_limit', message: expect.stringContaining('limit of 1') });
      await getDb().trainingJob.update({ where: { id: fromApiJobId(first.id) }, data: { status: 'cancelled' } });
      expect(await create()).toMatchObject({ status: 'validating_files' });
    } finally {
      delete process.env.LATHE_QUOTA_CONCURRENT_JOBS;
    }
  });
});

describe('deployments', () => {
  const stop = (baseModelIds: string[]) => getDb().deployment.updateMany({ where: { baseModelId: { in: baseModelIds } }, data: { status: 'STOPPED' } });

  it('refuses to deploy without a positive balance', async () => {
    const user = await createTestUser();
    const model = await readyModel(user);
    try {
      expect(await refusal(callerFor(user).serving.deploy({ baseModelId: model.id }))).toMatchObject({ code: 'PAYMENT_REQUIRED', reason: 'insufficient_quota' });
      expect(await getDb().deployment.count({ where: { baseModelId: model.id } })).toBe(0);
      await grant(user);
      expect(await callerFor(user).serving.deploy({ baseModelId: model.id })).toMatchObject({ status: 'REQUESTED' });
    } finally {
      await stop([model.id]);
    }
  });

  it('refuses a deployment beyond the limit a platform administrator set, from the dashboard and when a request wakes a model', async () => {
    const user = await createTestUser();
    await grant(user);
    await callerFor(admin).admin.quotas.set({ organizationId: user.organization.id, concurrentDeployments: 1 });
    const [a, b] = [await readyModel(user), await readyModel(user)];
    try {
      await callerFor(user).serving.deploy({ baseModelId: a.id });
      expect(await refusal(callerFor(user).serving.deploy({ baseModelId: b.id }))).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'concurrent_deployments_limit' });
      await expect(requestDeployment({ db: getDb(), baseModelId: b.id })).rejects.toMatchObject({ details: { reason: 'concurrent_deployments_limit' } });
      expect(await getDb().deployment.count({ where: { baseModelId: b.id } })).toBe(0);
      // The model already deployed keeps answering: its deployment is found, not created.
      expect(await callerFor(user).serving.deploy({ baseModelId: a.id })).toMatchObject({ status: expect.stringMatching(/REQUESTED|LOADING|READY|FAILED/) });
      await callerFor(user).serving.undeploy({ baseModelId: a.id });
      expect(await callerFor(user).serving.deploy({ baseModelId: b.id })).toMatchObject({ status: 'REQUESTED' });
    } finally {
      await stop([a.id, b.id]);
    }
  });
});

describe('storage', () => {
  it('refuses a dataset that does not fit in the storage left, before storing it', async () => {
    const user = await createTestUser();
    await callerFor(admin).admin.quotas.set({ organizationId: user.organization.id, storageBytes: 100 });
    const line = (n: number) => `${JSON.stringify({ prompt: 'p', completion: 'x'.repeat(n) })}\n`;
    const fits = line(40);
    await callerFor(user).dataset.createFromText({ filename: 'fits.jsonl', content: fits });
    const refused = await refusal(callerFor(user).dataset.createFromText({ filename: 'over.jsonl', content: line(60) }));
    expect(refused).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', reason: 'storage_quota_exceeded', message: expect.stringContaining(`has ${100 - fits.length} bytes left of its 100 bytes storage`) });
    expect((await callerFor(user).dataset.list()).map((d) => d.filename)).toEqual(['fits.jsonl']);
    expect(await callerFor(user).organization.quotas()).toMatchObject({ limits: { storageBytes: 100 }, overrides: { storageBytes: 100 }, usage: { storageBytes: fits.length } });
  });

  it('refuses a resumable upload whose announced size does not fit, before any byte is sent', async () => {
    const user = await createTestUser();
    await callerFor(admin).admin.quotas.set({ organizationId: user.organization.id, storageBytes: 1000 });
    const create = (length: number) =>
      createUpload(new Request('http://lathe.test/api/uploads', { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': String(length), authorization: `Bearer ${key}` } }));
    const key = await createTestKey(user);
    const refused = await create(5000);
    expect(refused.status).toBe(413);
    expect(await refused.text()).toMatch(/needs 4\.9 KiB, but your organization has 1000 bytes left/);
    expect((await create(500)).status).toBe(201);
  });

  it('fails a Hub import larger than the storage left before downloading any file', async () => {
    const fixture = await cachedTinyModel();
    const weights = (await stat(path.join(fixture, 'model.safetensors'))).size;
    const hub = await startFakeHub({ repos: [{ id: 'lathe/tiny-chat', dir: fixture }] });
    try {
      const user = await createTestUser();
      await callerFor(admin).admin.quotas.set({ organizationId: user.organization.id, storageBytes: Math.floor(weights / 2) });
      const model = await requestModelImport({ tenant: tenantOf(user), source: { kind: 'hub', repo: 'lathe/tiny-chat' }, name: unique('big'), scope: 'project', enqueue: false });
      const outcome = await runModelImport(model.id, { hubUrl: hub.url });
      expect(outcome).toMatchObject({ status: 'FAILED', code: 'storage_quota_exceeded', error: expect.stringMatching(/needs .* but your organization has .* left/) });
      expect(hub.requests.filter((r) => r.url.includes('/resolve/'))).toEqual([]);
      expect((await callerFor(user).organization.quotas()).usage.storageBytes).toBe(0);
    } finally {
      await hub.close();
    }
  });
});

describe('imports per day', () => {
  it('refuses an import beyond the limit, saying when the next one is possible', async () => {
    process.env.LATHE_QUOTA_IMPORTS_PER_DAY = '2';
    try {
      const user = await createTestUser();
      for (let i = 0; i < 2; i++) await callerFor(user).model.importFromHub({ repo: 'lathe/tiny-chat', name: unique('daily') });
      const refused = await refusal(callerFor(user).model.importFromHub({ repo: 'lathe/tiny-chat', name: unique('daily') }));
      expect(refused).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'import_limit_reached', message: expect.stringContaining('limit of 2') });
      expect(refused.retryAfter).toBeGreaterThan(23 * 3600);
      // Deleting an import does not give it back: the window counts requests.
      const imported = await getDb().baseModel.findFirstOrThrow({ where: { organizationId: user.organization.id } });
      await getDb().baseModel.update({ where: { id: imported.id }, data: { status: 'FAILED' } });
      await callerFor(user).model.delete({ id: imported.id });
      expect(await refusal(callerFor(user).model.importFromHub({ repo: 'lathe/tiny-chat', name: unique('daily') }))).toMatchObject({ reason: 'import_limit_reached' });
      expect((await callerFor(user).organization.quotas()).usage.importsPerDay).toBe(2);
    } finally {
      delete process.env.LATHE_QUOTA_IMPORTS_PER_DAY;
    }
  });
});

describe('limits per organization', () => {
  it("a platform administrator's limits override the environment's defaults for that organization only, and only a platform administrator may set them", async () => {
    process.env.LATHE_QUOTA_CONCURRENT_JOBS = '3';
    try {
      const [user, neighbour] = [await createTestUser(), await createTestUser()];
      expect(await refusal(callerFor(user).admin.quotas.set({ organizationId: user.organization.id, concurrentJobs: 50 }))).toMatchObject({ code: 'FORBIDDEN' });
      const set = await callerFor(admin).admin.quotas.set({ organizationId: user.organization.id, concurrentJobs: 7, storageBytes: 1024 });
      expect(set).toMatchObject({ limits: { concurrentJobs: 7, storageBytes: 1024 }, overrides: { concurrentJobs: 7, storageBytes: 1024 }, defaults: { concurrentJobs: 3 } });
      expect((await callerFor(neighbour).organization.quotas()).limits.concurrentJobs).toBe(3);
      const reset = await callerFor(admin).admin.quotas.set({ organizationId: user.organization.id, concurrentJobs: null });
      expect(reset).toMatchObject({ limits: { concurrentJobs: 3, storageBytes: 1024 }, overrides: { storageBytes: 1024 } });
      const audit = await getDb().auditLogEntry.findFirstOrThrow({ where: { organizationId: user.organization.id, action: 'organization.quota.set' }, orderBy: { id: 'desc' } });
      expect(audit).toMatchObject({ actorUserId: admin.user.id, data: { concurrentJobs: null } });
    } finally {
      delete process.env.LATHE_QUOTA_CONCURRENT_JOBS;
    }
  });
});
