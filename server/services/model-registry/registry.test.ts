// The registry on the real database, artifact store, conversion and llama.cpp child processes:
// imports from a folder, a GGUF and a local Hub server reach READY with every artifact stored;
// bad input ends FAILED with its reason and leaves no READY row.
import { mkdtempSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedTinyModel } from '@/gpu-runner/trainer/python';
import { checkGgufLoads } from '@/server/services/model-format/convert/check-gguf-loads';
import { getDb } from '@/server/db';
import { tenantDb, type TenantContext } from '@/server/db/tenant';
import { stopBoss } from '@/server/queue/boss';
import { artifactStoreConfigFromEnv, createArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { inspectHfFolder } from '@/server/services/model-format/inspect-model';
import { startFakeHub, FAKE_COMMIT } from '@/tests/fixtures/hub/fake-hub';
import { createTestUser, type TestUser } from '@/tests/helpers/factories';
import { setHubToken } from '@/server/services/orgs/hub-token';
import { deleteModel, listBaseModels } from './manage-models';
import { materializeModelFolder, ZModelArtifacts, type TModelArtifacts } from './model-artifacts';
import { requestModelImport, type TModelImportSource } from './request-model-import';
import { runModelImport, type ModelImportProgress } from './run-model-import';

// The delete test removes artifacts no row references; a store of this file's own keeps models
// that other test files are importing at the same moment (same content, same hashes) intact.
process.env.LATHE_DATA_DIR = mkdtempSync(path.join(os.tmpdir(), 'lathe-registry-test-'));
const store = createArtifactStore(artifactStoreConfigFromEnv());
let fixture: string;
let root: string;
let owner: TestUser;
let tenant: TenantContext;

const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  fixture = await cachedTinyModel();
  root = await mkdtemp(path.join(os.tmpdir(), 'lathe-registry-'));
  owner = await createTestUser();
  const scope = { organizationId: owner.organization.id, projectId: owner.project.id };
  tenant = { db: tenantDb(scope), scope, actor: { userId: owner.user.id } };
});

afterAll(async () => {
  await stopBoss();
  await rm(root, { recursive: true, force: true });
});

async function importInto(source: TModelImportSource, name = unique('m'), events?: ModelImportProgress[]) {
  const model = await requestModelImport({ tenant, source, name, scope: 'project', enqueue: false });
  expect(model.status).toBe('REQUESTED');
  const outcome = await runModelImport(model.id, { onProgress: (p) => events?.push(p) });
  const row = await getDb().baseModel.findUniqueOrThrow({ where: { id: model.id } });
  return { outcome, row };
}

async function brokenCopy(label: string, change: (dir: string) => Promise<unknown>) {
  const dir = path.join(root, label);
  await cp(fixture, dir, { recursive: true });
  await change(dir);
  return dir;
}

async function editJson(file: string, edit: (json: Record<string, unknown>) => void) {
  const json = JSON.parse(await readFile(file, 'utf8'));
  edit(json);
  await writeFile(file, JSON.stringify(json));
}

describe('folder import', () => {
  let artifacts: TModelArtifacts;
  let modelId: string;

  it('reaches READY with metadata, every file stored and a GGUF llama.cpp loads', async () => {
    const events: ModelImportProgress[] = [];
    const { outcome, row } = await importInto({ kind: 'folder', dir: fixture }, unique('tiny'), events);
    expect(outcome.status).toBe('READY');
    modelId = row.id;
    expect(row).toMatchObject({
      status: 'READY',
      progress: 1,
      error: null,
      architecture: 'LlamaForCausalLM',
      family: 'llama',
      chatTemplate: true,
      source: 'FOLDER',
      organizationId: owner.organization.id,
      projectId: owner.project.id,
    });
    expect(Number(row.parameters)).toBeGreaterThan(100_000);
    expect(row.contextLength).toBeGreaterThan(0);
    expect(row.details).toMatchObject({ trainable: true, ggufType: 'F32', tokenizer: 'bpe' });

    artifacts = ZModelArtifacts.parse(row.artifacts);
    expect(Object.keys(artifacts).sort()).toEqual(['gguf', 'hf']);
    expect(artifacts.gguf.type).toBe('F32');
    const fixtureFiles = (await readdir(fixture)).sort();
    expect(Object.keys(artifacts.hf!.files).sort()).toEqual(fixtureFiles);
    const hfBytes = Object.values(artifacts.hf!.files).reduce((s, f) => s + f.size, 0);
    expect(Number(row.sizeBytes)).toBe(hfBytes + artifacts.gguf.size);
    for (const file of [...Object.values(artifacts.hf!.files), artifacts.gguf]) expect(await store.stat(file.sha256)).toMatchObject({ size: file.size });

    const gguf = path.join(root, 'from-store.gguf');
    await store.materialize(artifacts.gguf.sha256, gguf);
    expect(await checkGgufLoads({ modelGguf: gguf })).toMatchObject({ ok: true, architecture: 'llama' });

    expect(events[0]).toMatchObject({ status: 'CONVERTING', progress: 0 });
    expect(events.map((e) => e.step)).toEqual(expect.arrayContaining(['store', 'convert', 'check']));
    expect(events.every((e, i) => i === 0 || e.progress >= events[i - 1]!.progress)).toBe(true);
    const audit = await getDb().auditLogEntry.findMany({ where: { targetId: row.id }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['model.import', 'model.ready']);
  });

  it('materializes the Hugging Face folder byte for byte from the store', async () => {
    const dest = path.join(root, 'materialized');
    const result = await materializeModelFolder({ store, artifacts, destDir: dest });
    expect(result.files).toBe(Object.keys(artifacts.hf!.files).length);
    for (const name of await readdir(fixture)) {
      expect((await readFile(path.join(dest, name))).equals(await readFile(path.join(fixture, name)))).toBe(true);
    }
    expect(await inspectHfFolder(dest)).toMatchObject({ family: 'llama', hasChatTemplate: true });
    await expect(materializeModelFolder({ store, artifacts, destDir: dest })).rejects.toMatchObject({ code: 'invalid_config' });
    await expect(materializeModelFolder({ store, artifacts: { ...artifacts, hf: null }, destDir: path.join(root, 'none') })).rejects.toMatchObject({ code: 'missing_weights' });
    await expect(
      materializeModelFolder({ store, artifacts: { ...artifacts, hf: { files: { '../escape.json': artifacts.gguf } } }, destDir: path.join(root, 'escape') }),
    ).rejects.toMatchObject({ code: 'invalid_config' });
  });

  it('imports a ready GGUF as a serving-only model', async () => {
    const gguf = path.join(root, 'serving.gguf');
    await store.materialize(artifacts.gguf.sha256, gguf);
    const { outcome, row } = await importInto({ kind: 'gguf', file: gguf });
    expect(outcome.status).toBe('READY');
    expect(row).toMatchObject({ source: 'GGUF', architecture: 'llama', chatTemplate: true, details: expect.objectContaining({ trainable: false, ggufType: 'F32' }) });
    expect(ZModelArtifacts.parse(row.artifacts)).toEqual({ hf: null, gguf: artifacts.gguf });
    const listed = (await listBaseModels({ tenant })).find((m) => m.id === row.id)!;
    expect(listed).toMatchObject({ trainable: false, chatCapable: true, ggufType: 'F32' });
    expect((await listBaseModels({ tenant })).find((m) => m.id === modelId)).toMatchObject({ trainable: true, chatCapable: true });
  });

  it('deletes a model unless a fine-tuning job uses it, keeping artifacts another model shares', async () => {
    const db = getDb();
    const dataset = await db.dataset.create({ data: { organizationId: owner.organization.id, projectId: owner.project.id, name: 'train.jsonl', status: 'VALID' } });
    const job = await db.trainingJob.create({
      data: { organizationId: owner.organization.id, projectId: owner.project.id, baseModelId: modelId, trainingDatasetId: dataset.id, hyperparameters: {}, seed: 1 },
    });
    await expect(deleteModel({ tenant, id: modelId, store })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('1 fine-tuning job') });
    await db.trainingJob.delete({ where: { id: job.id } });

    // Other test files import the same fixture into the same database at the same time: files their
    // models reference are shared too and must stay.
    const others = await db.baseModel.findMany({ where: { id: { not: modelId } }, select: { artifacts: true } });
    const shared = new Set(others.flatMap((m) => JSON.stringify(m.artifacts ?? {}).match(/[0-9a-f]{64}/g) ?? []));
    const unshared = Object.values(artifacts.hf!.files).filter((f) => !shared.has(f.sha256));
    const result = await deleteModel({ tenant, id: modelId, store });
    expect(await db.baseModel.findUnique({ where: { id: modelId } })).toBeNull();
    // The GGUF-only model above holds the same GGUF, so only the Hugging Face files go.
    expect(result.artifactsDeleted).toBe(unshared.length);
    expect(await store.has(artifacts.gguf.sha256)).toBe(true);
    for (const file of Object.values(artifacts.hf!.files)) expect(await store.has(file.sha256)).toBe(shared.has(file.sha256));
    const audit = await db.auditLogEntry.findFirst({ where: { targetId: modelId, action: 'model.delete' } });
    expect(audit?.actorUserId).toBe(owner.user.id);
  });
});

describe('bad input', () => {
  it.each([
    ['missing_config', /no config\.json/, (d: string) => rm(path.join(d, 'config.json'))],
    ['missing_weights', /no \.safetensors weights/, (d: string) => rm(path.join(d, 'model.safetensors'))],
    ['unsupported_architecture', /GPTNeoXForCausalLM is not supported/, (d: string) => editJson(path.join(d, 'config.json'), (j) => (j.architectures = ['GPTNeoXForCausalLM']))],
    [
      'corrupt_safetensors',
      /model\.safetensors is not a valid safetensors file/,
      async (d: string) => {
        const bytes = await readFile(path.join(d, 'model.safetensors'));
        bytes.write('#', 8);
        await writeFile(path.join(d, 'model.safetensors'), bytes);
      },
    ],
  ])('a folder with %s fails with its reason and no READY row', async (code, message, change) => {
    const dir = await brokenCopy(unique(code), change);
    const { outcome, row } = await importInto({ kind: 'folder', dir });
    expect(outcome).toMatchObject({ status: 'FAILED', code });
    expect(row.status).toBe('FAILED');
    expect(row.error).toMatch(message);
    expect(row.artifacts).toBeNull();
    expect(row.details).toMatchObject({ failure: { code, stage: 'CONVERTING' } });
    const summary = (await listBaseModels({ tenant })).find((m) => m.id === row.id)!;
    expect(summary).toMatchObject({ status: 'FAILED', errorCode: code, chatCapable: false, trainable: false });
  });

  it('a GGUF llama.cpp cannot load fails as llama_rejected', async () => {
    const good = path.join(root, 'for-truncation.gguf');
    const ready = await getDb().baseModel.findFirstOrThrow({ where: { status: 'READY', organizationId: owner.organization.id } });
    await store.materialize(ZModelArtifacts.parse(ready.artifacts).gguf.sha256, good);
    const raw = await readFile(good);
    const truncated = path.join(root, 'truncated.gguf');
    await writeFile(truncated, raw.subarray(0, Math.floor(raw.length * 0.6)));
    const { outcome, row } = await importInto({ kind: 'gguf', file: truncated });
    expect(outcome).toMatchObject({ status: 'FAILED' });
    expect(['llama_rejected', 'corrupt_gguf']).toContain((outcome as { code: string }).code);
    expect(row.error).toMatch(/llama\.cpp|truncated|end of file|exceeds|smaller/i);
    expect(row.artifacts).toBeNull();
  });

  it('refuses names already taken, platform scope without an admin, and folders outside the import root', async () => {
    const name = unique('dup');
    await requestModelImport({ tenant, source: { kind: 'folder', dir: fixture }, name, scope: 'project', enqueue: false });
    await expect(requestModelImport({ tenant, source: { kind: 'folder', dir: fixture }, name: name.toUpperCase(), scope: 'project', enqueue: false })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { param: 'name' },
    });
    await expect(requestModelImport({ tenant, source: { kind: 'folder', dir: fixture }, name: unique('p'), scope: 'platform', enqueue: false })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(requestModelImport({ tenant, source: { kind: 'folder', dir: fixture }, name: 'bad name!', scope: 'project', enqueue: false })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      details: { param: 'name' },
    });
    await expect(requestModelImport({ tenant, source: { kind: 'folder', dir: fixture }, name: unique('r'), scope: 'project', importRoot: root, enqueue: false })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'outside_import_root' },
    });
    await expect(requestModelImport({ tenant, source: { kind: 'folder', dir: path.join(root, 'nowhere') }, name: unique('n'), scope: 'project', enqueue: false })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      details: { reason: 'not_found' },
    });
    // A platform model's name is taken for every organization.
    const platformName = unique('plat');
    await requestModelImport({ admin: { db: getDb(), actor: { userId: null } }, source: { kind: 'folder', dir: fixture }, name: platformName, scope: 'platform', enqueue: false });
    await expect(requestModelImport({ tenant, source: { kind: 'folder', dir: fixture }, name: platformName, scope: 'project', enqueue: false })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('platform-wide'),
    });
  });
});

describe('Hub import', () => {
  it('downloads from the Hub, writing progress to the row while DOWNLOADING, and reaches READY', async () => {
    const hub = await startFakeHub({ repos: [{ id: 'lathe/tiny-chat', dir: fixture }], faults: { dropOnce: { 'model.safetensors': 300_000 } } });
    try {
      const model = await requestModelImport({ tenant, source: { kind: 'hub', repo: 'lathe/tiny-chat' }, name: unique('hub'), scope: 'project', enqueue: false });
      const seen: Array<{ status: string; progress: number | null }> = [];
      let polling = true;
      const poller = (async () => {
        while (polling) {
          const row = await getDb().baseModel.findUniqueOrThrow({ where: { id: model.id } });
          seen.push({ status: row.status, progress: row.progress });
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const events: ModelImportProgress[] = [];
      const outcome = await runModelImport(model.id, { hubUrl: hub.url, progressIntervalMs: 50, onProgress: (p) => events.push(p) });
      polling = false;
      await poller;
      expect(outcome.status).toBe('READY');
      const row = await getDb().baseModel.findUniqueOrThrow({ where: { id: model.id } });
      expect(row).toMatchObject({ source: 'HUGGING_FACE', sourceRef: 'lathe/tiny-chat', chatTemplate: true, details: expect.objectContaining({ commit: FAKE_COMMIT }) });
      expect(events.some((e) => e.status === 'DOWNLOADING' && e.step === 'download' && e.progress === 1)).toBe(true);
      expect(seen.some((s) => s.status === 'DOWNLOADING')).toBe(true);
      expect(seen.some((s) => s.status === 'CONVERTING')).toBe(true);
      // Ranged resume after the dropped connection.
      expect(hub.requests.some((r) => r.url.endsWith('/model.safetensors') && r.range && !r.range.startsWith('bytes=0-'))).toBe(true);
      const files = ZModelArtifacts.parse(row.artifacts).hf!.files;
      expect(files['model.safetensors']!.size).toBe((await readFile(path.join(fixture, 'model.safetensors'))).length);
    } finally {
      await hub.close();
    }
  });

  it('an interrupted worker import stays DOWNLOADING and a retry resumes it to READY; a cancelled CLI import fails', async () => {
    const hub = await startFakeHub({ repos: [{ id: 'lathe/tiny-chat', dir: fixture }] });
    try {
      const model = await requestModelImport({ tenant, source: { kind: 'hub', repo: 'lathe/tiny-chat' }, name: unique('resume'), scope: 'project', enqueue: false });
      const controller = new AbortController();
      const interrupted = runModelImport(model.id, {
        hubUrl: hub.url,
        signal: controller.signal,
        retryWhenAborted: true,
        onProgress: (p) => p.step === 'download' && (p.bytes ?? 0) > 0 && controller.abort(),
      });
      await expect(interrupted).rejects.toMatchObject({ code: 'aborted' });
      expect(await getDb().baseModel.findUniqueOrThrow({ where: { id: model.id } })).toMatchObject({ status: 'DOWNLOADING', error: null });
      expect(await runModelImport(model.id, { hubUrl: hub.url })).toMatchObject({ status: 'READY' });

      const cancelled = await requestModelImport({ tenant, source: { kind: 'hub', repo: 'lathe/tiny-chat' }, name: unique('cancel'), scope: 'project', enqueue: false });
      const cancel = new AbortController();
      cancel.abort();
      expect(await runModelImport(cancelled.id, { hubUrl: hub.url, signal: cancel.signal })).toMatchObject({ status: 'FAILED', code: 'aborted' });
    } finally {
      await hub.close();
    }
  });

  it('a download that stays truncated fails as truncated_download', async () => {
    const hub = await startFakeHub({ repos: [{ id: 'lathe/tiny-chat', dir: fixture }], faults: { truncateAt: { 'model.safetensors': 500_000 } } });
    try {
      const model = await requestModelImport({ tenant, source: { kind: 'hub', repo: 'lathe/tiny-chat' }, name: unique('trunc'), scope: 'project', enqueue: false });
      const outcome = await runModelImport(model.id, { hubUrl: hub.url, download: { maxRetries: 2, retryDelayMs: 5 } });
      expect(outcome).toMatchObject({ status: 'FAILED', code: 'truncated_download' });
      const row = await getDb().baseModel.findUniqueOrThrow({ where: { id: model.id } });
      expect(row).toMatchObject({ status: 'FAILED', artifacts: null, details: expect.objectContaining({ failure: { code: 'truncated_download', stage: 'DOWNLOADING' } }) });
      expect(row.error).toMatch(/stopped at byte 500000/);
    } finally {
      await hub.close();
    }
  });
});

describe('imports from the server disk', () => {
  it('converts the files it stored from the folder, whatever the folder holds afterwards', async () => {
    const dir = await brokenCopy(unique('changing'), async () => undefined);
    let changed = false;
    const model = await requestModelImport({ tenant, source: { kind: 'folder', dir }, name: unique('changing'), scope: 'project', importRoot: root, enqueue: false });
    const outcome = await runModelImport(model.id, {
      onProgress: (p) => {
        // Once every file has been read, the folder's weights are replaced by garbage.
        if (!changed && p.step === 'store' && p.progress >= 0.2) {
          changed = true;
          writeFileSync(path.join(dir, 'model.safetensors'), 'not weights any more');
        }
      },
    });
    expect(changed).toBe(true);
    expect(outcome).toMatchObject({ status: 'READY' });
    const stored = ZModelArtifacts.parse((await getDb().baseModel.findUniqueOrThrow({ where: { id: model.id } })).artifacts).hf!.files['model.safetensors']!;
    expect(stored.size).toBe((await readFile(path.join(fixture, 'model.safetensors'))).length);
  });

  it('refuses a file swapped for a symbolic link out of the import root after the request was checked', async () => {
    const ownRoot = await mkdtemp(path.join(root, 'org-root-'));
    const dir = path.join(ownRoot, 'model');
    await cp(fixture, dir, { recursive: true });
    const model = await requestModelImport({ tenant, source: { kind: 'folder', dir }, name: unique('swapped'), scope: 'project', importRoot: ownRoot, enqueue: false });
    const secret = path.join(root, 'secret.safetensors');
    await cp(path.join(fixture, 'model.safetensors'), secret);
    await rm(path.join(dir, 'model.safetensors'));
    await symlink(secret, path.join(dir, 'model.safetensors'));
    const outcome = await runModelImport(model.id);
    expect(outcome).toMatchObject({ status: 'FAILED', code: 'invalid_config', error: expect.stringMatching(/model\.safetensors is a symbolic link that leads outside the import folder/) });
  });
});

describe('Hub tokens', () => {
  const TOKEN = 'hf_lathe_registry_token';
  const saved = process.env.HF_TOKEN;
  afterAll(() => {
    if (saved === undefined) delete process.env.HF_TOKEN;
    else process.env.HF_TOKEN = saved;
  });

  it("an organization's import never carries the operator's HF_TOKEN, and carries the organization's own once it stores one", async () => {
    const hub = await startFakeHub({ repos: [{ id: 'meta/gated', dir: fixture, gated: true }], token: TOKEN });
    try {
      process.env.HF_TOKEN = TOKEN;
      const denied = await requestModelImport({ tenant, source: { kind: 'hub', repo: 'meta/gated' }, name: unique('denied'), scope: 'project', enqueue: false });
      expect(await runModelImport(denied.id, { hubUrl: hub.url })).toMatchObject({ status: 'FAILED', code: 'hub_unauthorized' });
      expect(hub.requests.some((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(false);

      const stored = await setHubToken({ tenant, token: TOKEN });
      expect(stored).toMatchObject({ configured: true, last4: TOKEN.slice(-4) });
      const row = await getDb().organizationHubToken.findUniqueOrThrow({ where: { organizationId: owner.organization.id } });
      expect(row.ciphertext).not.toContain(TOKEN);
      expect(row.ciphertext).not.toContain(Buffer.from(TOKEN).toString('base64url'));

      const allowed = await requestModelImport({ tenant, source: { kind: 'hub', repo: 'meta/gated' }, name: unique('allowed'), scope: 'project', enqueue: false });
      expect(await runModelImport(allowed.id, { hubUrl: hub.url })).toMatchObject({ status: 'READY' });
      expect(hub.requests.filter((r) => r.url.includes('/resolve/')).every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    } finally {
      await hub.close();
    }
  });

  it('a platform-wide import uses HF_TOKEN', async () => {
    const hub = await startFakeHub({ repos: [{ id: 'meta/gated', dir: fixture, gated: true }], token: TOKEN });
    try {
      process.env.HF_TOKEN = TOKEN;
      const model = await requestModelImport({ admin: { db: getDb(), actor: { userId: null } }, source: { kind: 'hub', repo: 'meta/gated' }, name: unique('platform-gated'), scope: 'platform', enqueue: false });
      const controller = new AbortController();
      const downloading = runModelImport(model.id, { hubUrl: hub.url, signal: controller.signal, retryWhenAborted: true, onProgress: (p) => p.step === 'download' && (p.bytes ?? 0) > 0 && controller.abort() });
      await expect(downloading).rejects.toMatchObject({ code: 'aborted' });
      expect(hub.requests.some((r) => r.url.includes('/resolve/') && r.authorization === `Bearer ${TOKEN}`)).toBe(true);
      await getDb().baseModel.update({ where: { id: model.id }, data: { status: 'FAILED' } });
    } finally {
      await hub.close();
    }
  });
});
