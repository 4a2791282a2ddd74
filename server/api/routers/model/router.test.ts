// The model router through createCaller on the real database: who may import what, the queued
// job, what each project sees, and the Hub look-ups against the local Hub server.
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedTinyModel } from '@/gpu-runner/trainer/python';
import { getDb } from '@/server/db';
import { stopBoss } from '@/server/queue/boss';
import { startFakeHub, type FakeHub } from '@/tests/fixtures/hub/fake-hub';
import { callerFor, callerForKey, createTestKey, createTestUser, type TestUser } from '@/tests/helpers/factories';
import { artifactStoreConfigFromEnv, createArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { stageImportFiles } from '@/server/services/model-registry/import-root';

let fixture: string;
let owner: TestUser;
let other: TestUser;
let admin: TestUser;
let hub: FakeHub;
let root: string;
/** A copy of the fixture in the owner's folder of the import root, and one in the other organization's. */
let ownModel: string;
let theirModel: string;
const TOKEN = 'hf_lathe_router_token';
const savedEnv = { HF_ENDPOINT: process.env.HF_ENDPOINT, LATHE_IMPORT_ROOT: process.env.LATHE_IMPORT_ROOT, HF_TOKEN: process.env.HF_TOKEN };
const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  fixture = await cachedTinyModel();
  root = await mkdtemp(path.join(os.tmpdir(), 'lathe-model-router-'));
  [owner, other, admin] = await Promise.all([createTestUser(), createTestUser(), createTestUser({ admin: true })]);
  ownModel = path.join(root, owner.organization.id, 'tiny');
  theirModel = path.join(root, other.organization.id, 'theirs');
  await Promise.all([cp(fixture, ownModel, { recursive: true }), cp(fixture, theirModel, { recursive: true })]);
  hub = await startFakeHub({ repos: [{ id: 'lathe/tiny-chat', dir: fixture }, { id: 'meta/gated', dir: fixture, gated: true }], token: TOKEN });
  process.env.HF_ENDPOINT = hub.url;
});

afterAll(async () => {
  await stopBoss();
  await hub?.close();
  await rm(root, { recursive: true, force: true });
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

async function trpcCode(promise: Promise<unknown>) {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TRPCError);
  return (error as TRPCError).code;
}

describe('model router', () => {
  it('refuses server folders to organization owners unless LATHE_IMPORT_ROOT fences them in', async () => {
    delete process.env.LATHE_IMPORT_ROOT;
    expect(await trpcCode(callerFor(owner).model.importFromFolder({ dir: fixture, name: unique('open') }))).toBe('FORBIDDEN');
  });

  it('queues a folder import for an organization owner and lists it for the project only', async () => {
    process.env.LATHE_IMPORT_ROOT = root;
    const name = unique('tiny');
    const created = await callerFor(owner).model.importFromFolder({ dir: ownModel, name });
    expect(created).toMatchObject({ name, status: 'REQUESTED', scope: 'organization', source: 'FOLDER', sourceRef: ownModel });
    const jobs = await getDb().$queryRawUnsafe<Array<{ data: { v: number; payload: { modelId: string } } }>>(`SELECT data FROM pgboss.job WHERE name = 'model.import'`);
    expect(jobs.map((j) => j.data)).toContainEqual({ v: 1, payload: { modelId: created.id } });

    expect((await callerFor(owner).model.list()).map((m) => m.id)).toContain(created.id);
    expect(await callerFor(owner).model.get({ id: created.id })).toMatchObject({ id: created.id, name });
    expect((await callerFor(other).model.list()).map((m) => m.id)).not.toContain(created.id);
    expect(await trpcCode(callerFor(other).model.get({ id: created.id }))).toBe('NOT_FOUND');
  });

  it('lets only platform admins add platform-wide models, visible to every organization without their server path', async () => {
    expect(await trpcCode(callerFor(owner).model.importFromFolder({ dir: fixture, name: unique('p'), scope: 'platform' }))).toBe('FORBIDDEN');
    const created = await callerFor(admin).model.importFromFolder({ dir: ownModel, name: unique('platform'), scope: 'platform' });
    expect(created).toMatchObject({ scope: 'platform', projectId: null });
    expect((await getDb().baseModel.findUniqueOrThrow({ where: { id: created.id } })).organizationId).toBeNull();
    const seen = (await callerFor(other).model.list()).find((m) => m.id === created.id);
    expect(seen).toMatchObject({ scope: 'platform', sourceRef: null });
    expect(await trpcCode(callerFor(other).model.delete({ id: created.id }))).toBe('FORBIDDEN');
  });

  it('refuses imports from API keys and members, and folders outside LATHE_IMPORT_ROOT', async () => {
    const keyCaller = await callerForKey(await createTestKey(owner));
    expect(await trpcCode(keyCaller.model.importFromFolder({ dir: fixture, name: unique('k') }))).toBe('FORBIDDEN');
    expect(await trpcCode(keyCaller.model.delete({ id: 'anything' }))).toBe('FORBIDDEN');
    expect((await keyCaller.model.list()).length).toBeGreaterThan(0);

    process.env.LATHE_IMPORT_ROOT = root;
    try {
      const error = await callerFor(owner).model.importFromFolder({ dir: fixture, name: unique('outside') }).catch((e: unknown) => e as TRPCError);
      expect(error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('LATHE_IMPORT_ROOT') });
      expect(await trpcCode(callerFor(owner).model.importFromFolder({ dir: path.join(root, owner.organization.id, 'missing'), name: unique('missing') }))).toBe('BAD_REQUEST');
    } finally {
      delete process.env.LATHE_IMPORT_ROOT;
    }
  });

  it('searches the Hub, lists a repo\'s files and queues a Hub import named after the repo', async () => {
    expect((await callerFor(owner).model.searchHub({ query: 'tiny' })).map((m) => m.id)).toEqual(['lathe/tiny-chat']);
    expect(await callerFor(owner).model.searchHub({ query: 't' })).toEqual([]);
    const files = await callerFor(owner).model.listHubFiles({ repo: 'lathe/tiny-chat' });
    expect(files.find((f) => f.path === 'model.safetensors')).toMatchObject({ imported: true });
    expect(await trpcCode(callerFor(owner).model.listHubFiles({ repo: 'nobody/nothing' }))).toBe('NOT_FOUND');

    const created = await callerFor(owner).model.importFromHub({ repo: 'lathe/tiny-chat' });
    expect(created).toMatchObject({ name: 'tiny-chat', source: 'HUGGING_FACE', sourceRef: 'lathe/tiny-chat', status: 'REQUESTED' });
    expect(await trpcCode(callerFor(owner).model.importFromHub({ repo: 'lathe/tiny-chat' }))).toBe('CONFLICT');
  });

  it('deletes a failed import of the organization', async () => {
    process.env.LATHE_IMPORT_ROOT = root;
    const created = await callerFor(owner).model.importFromFolder({ dir: ownModel, name: unique('gone') });
    expect(await trpcCode(callerFor(owner).model.delete({ id: created.id }))).toBe('CONFLICT');
    await getDb().baseModel.update({ where: { id: created.id }, data: { status: 'FAILED', error: 'test' } });
    expect(await callerFor(owner).model.delete({ id: created.id })).toMatchObject({ id: created.id, artifactsDeleted: 0 });
    expect(await trpcCode(callerFor(owner).model.get({ id: created.id }))).toBe('NOT_FOUND');
  });

  describe('server folders under LATHE_IMPORT_ROOT', () => {
    beforeAll(() => {
      process.env.LATHE_IMPORT_ROOT = root;
    });

    const refusal = async (promise: Promise<unknown>) => {
      const error = (await promise.catch((e: unknown) => e)) as TRPCError & { cause?: { details?: { reason?: string } } };
      expect(error).toBeInstanceOf(TRPCError);
      return { code: error.code, reason: error.cause?.details?.reason, message: error.message };
    };

    it("keeps an organization to its own sub-folder: another organization's folder is outside, while a platform admin reaches the whole root", async () => {
      expect(await refusal(callerFor(owner).model.importFromFolder({ dir: theirModel, name: unique('theirs') }))).toMatchObject({ code: 'FORBIDDEN', reason: 'outside_import_root' });
      expect(await refusal(callerFor(owner).model.importFromFolder({ dir: root, name: unique('root') }))).toMatchObject({ code: 'FORBIDDEN', reason: 'outside_import_root' });
      expect(await callerFor(other).model.importFromFolder({ dir: theirModel, name: unique('own') })).toMatchObject({ status: 'REQUESTED', sourceRef: theirModel });
      expect(await callerFor(admin).model.importFromFolder({ dir: theirModel, name: unique('admin'), scope: 'platform' })).toMatchObject({ status: 'REQUESTED' });
    });

    it('answers a path outside the folder the same whether or not it exists', async () => {
      const answers = await Promise.all(
        [theirModel, path.join(root, other.organization.id, 'no-such-model'), '/etc', '/no/such/folder'].map(async (dir) => {
          const answer = await refusal(callerFor(owner).model.importFromFolder({ dir, name: unique('probe') }));
          return { ...answer, message: answer.message.replace(dir, '<path>') };
        }),
      );
      expect(answers[0]).toMatchObject({ code: 'FORBIDDEN', reason: 'outside_import_root' });
      for (const answer of answers) expect(answer).toEqual(answers[0]);
    });

    it('refuses symbolic links that leave the organization folder, to a folder or to one of its files', async () => {
      const ownFolder = path.join(root, owner.organization.id);
      await symlink(theirModel, path.join(ownFolder, 'alias'));
      const linked = path.join(ownFolder, 'linked');
      await cp(fixture, linked, { recursive: true });
      await rm(path.join(linked, 'model.safetensors'));
      await symlink(path.join(theirModel, 'model.safetensors'), path.join(linked, 'model.safetensors'));
      for (const dir of [path.join(ownFolder, 'alias'), linked]) {
        expect(await refusal(callerFor(owner).model.importFromFolder({ dir, name: unique('link') }))).toMatchObject({ code: 'FORBIDDEN', reason: 'outside_import_root' });
      }
      // A link that stays inside the folder, as a Hub cache's snapshot links to its blobs, is followed.
      const inner = path.join(ownFolder, 'inner');
      await mkdir(inner);
      await symlink(ownModel, path.join(inner, 'model'));
      expect(await callerFor(owner).model.importFromFolder({ dir: path.join(inner, 'model'), name: unique('inner') })).toMatchObject({ status: 'REQUESTED', sourceRef: ownModel });
    });
  });

  it('accepts an import root that is itself a symbolic link, when the request is checked and when the worker reads the folder', async () => {
    const linkedRoot = `${root}-link`;
    await symlink(root, linkedRoot);
    process.env.LATHE_IMPORT_ROOT = linkedRoot;
    try {
      const created = await callerFor(owner).model.importFromFolder({ dir: path.join(linkedRoot, owner.organization.id, 'tiny'), name: unique('linked-root') });
      expect(created).toMatchObject({ status: 'REQUESTED', sourceRef: ownModel });
      const row = await getDb().baseModel.findUniqueOrThrow({ where: { id: created.id } });
      const staged = await stageImportFiles({ root: (row.details as { importRoot: string }).importRoot, sourceRef: row.sourceRef!, kind: 'folder', store: createArtifactStore(artifactStoreConfigFromEnv()) });
      expect(staged.map((f) => f.relative)).toContain('model.safetensors');
    } finally {
      process.env.LATHE_IMPORT_ROOT = root;
      await rm(linkedRoot);
    }
  });

  describe('Hub access', () => {
    beforeAll(() => {
      process.env.HF_TOKEN = TOKEN;
    });

    it("looks the Hub up with the organization's own token, never the operator's HF_TOKEN", async () => {
      const error = await refusalOf(callerFor(owner).model.listHubFiles({ repo: 'meta/gated' }));
      expect(error).toMatchObject({ code: 'PRECONDITION_FAILED', message: expect.stringMatching(/access denied/) });
      expect(hub.requests.filter((r) => r.url.includes('meta/gated')).every((r) => r.authorization !== `Bearer ${TOKEN}`)).toBe(true);

      expect(await callerFor(owner).organization.hubToken.set({ token: TOKEN })).toMatchObject({ configured: true, last4: TOKEN.slice(-4) });
      const files = await callerFor(owner).model.listHubFiles({ repo: 'meta/gated' });
      expect(files.find((f) => f.path === 'model.safetensors')).toMatchObject({ imported: true });
      expect(await refusalOf(callerFor(other).model.listHubFiles({ repo: 'meta/gated' }))).toMatchObject({ code: 'PRECONDITION_FAILED' });
    });

    it("lets a platform admin browse with HF_TOKEN for platform-wide imports, and nobody else", async () => {
      expect((await callerFor(admin).model.listHubFiles({ repo: 'meta/gated', scope: 'platform' })).length).toBeGreaterThan(0);
      expect(await refusalOf(callerFor(other).model.listHubFiles({ repo: 'meta/gated', scope: 'platform' }))).toMatchObject({ code: 'FORBIDDEN' });
    });
  });
});

async function refusalOf(promise: Promise<unknown>) {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}
