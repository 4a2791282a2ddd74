import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_COMMIT, startFakeHub, type FakeHub } from '../../../tests/fixtures/hub/fake-hub';
import { cachedTinyModel } from '../../../gpu-runner/trainer/python';
import { inspectHfFolder } from '../model-format/inspect-model';
import { downloadHfRepo, type DownloadProgress } from './download-hf-repo';
import { listHubFiles, searchHubModels } from './hub-client';

const TOKEN = 'hf_lathe_test_token';
let fixture: string;
let hub: FakeHub;
let root: string;
const savedToken = process.env.HF_TOKEN;

beforeAll(async () => {
  fixture = await cachedTinyModel();
  root = await mkdtemp(path.join(os.tmpdir(), 'lathe-hub-'));
  delete process.env.HF_TOKEN;
});
afterEach(async () => {
  await hub?.close();
  if (savedToken === undefined) delete process.env.HF_TOKEN;
  else process.env.HF_TOKEN = savedToken;
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function sameFile(a: string, b: string) {
  expect((await readFile(a)).equals(await readFile(b))).toBe(true);
}

describe('Hub client', () => {
  it('searches models and lists files with sizes and SHA-256', async () => {
    hub = await startFakeHub({ repos: [{ id: 'lathe/tiny-chat', dir: fixture }, { id: 'other/model', dir: fixture }] });
    const found = await searchHubModels({ query: 'tiny', hubUrl: hub.url });
    expect(found).toMatchObject([{ id: 'lathe/tiny-chat', downloads: 42, gated: false, task: 'text-generation' }]);
    const files = await listHubFiles({ repo: 'lathe/tiny-chat', hubUrl: hub.url });
    const weights = files.find((f) => f.path === 'model.safetensors')!;
    expect(weights.size).toBe((await stat(path.join(fixture, 'model.safetensors'))).size);
    expect(weights.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(files.find((f) => f.path === 'config.json')?.gitOid).toMatch(/^[0-9a-f]{40}$/);
  });

  it('downloads a snapshot that imports as a model, reporting progress', async () => {
    hub = await startFakeHub({ repos: [{ id: 'lathe/tiny-chat', dir: fixture }] });
    const destDir = path.join(root, 'full');
    const events: DownloadProgress[] = [];
    const result = await downloadHfRepo({ repo: 'lathe/tiny-chat', destDir, hubUrl: hub.url, onProgress: (p) => events.push(p) });
    expect(result.commit).toBe(FAKE_COMMIT);
    expect(result.files.map((f) => f.path)).toContain('model.safetensors');
    for (const f of result.files) await sameFile(path.join(destDir, f.path), path.join(fixture, f.path));
    expect(events.at(-1)).toMatchObject({ bytes: result.bytes, totalBytes: result.bytes, filesDone: result.files.length });
    expect(events.every((e, i) => i === 0 || e.bytes >= events[i - 1]!.bytes)).toBe(true);
    expect(await inspectHfFolder(destDir)).toMatchObject({ hasChatTemplate: true, family: 'llama' });
    expect(hub.requests.some((r) => r.url.includes(`/resolve/${FAKE_COMMIT}/model.safetensors`))).toBe(true);
  });

  it('needs a token for a gated repo, sends the one it is given as a bearer token, and never reads HF_TOKEN itself', async () => {
    hub = await startFakeHub({ repos: [{ id: 'meta/gated', dir: fixture, gated: true }], token: TOKEN });
    process.env.HF_TOKEN = TOKEN;
    await expect(downloadHfRepo({ repo: 'meta/gated', destDir: path.join(root, 'gated-denied'), hubUrl: hub.url })).rejects.toMatchObject({
      code: 'hub_unauthorized',
      message: expect.stringContaining("the organization's Hugging Face token"),
    });
    delete process.env.HF_TOKEN;
    const destDir = path.join(root, 'gated');
    await downloadHfRepo({ repo: 'meta/gated', destDir, hubUrl: hub.url, token: TOKEN });
    await sameFile(path.join(destDir, 'model.safetensors'), path.join(fixture, 'model.safetensors'));
    const resolves = hub.requests.filter((r) => r.url.includes('/resolve/'));
    expect(resolves.length).toBeGreaterThan(0);
    expect(resolves.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('resumes with a Range request after the connection drops', async () => {
    hub = await startFakeHub({ repos: [{ id: 'lathe/tiny-chat', dir: fixture }], faults: { dropOnce: { 'model.safetensors': 300_000 } } });
    const destDir = path.join(root, 'dropped');
    await downloadHfRepo({ repo: 'lathe/tiny-chat', destDir, hubUrl: hub.url, retryDelayMs: 10 });
    await sameFile(path.join(destDir, 'model.safetensors'), path.join(fixture, 'model.safetensors'));
    // The resumed request starts where the dropped one stopped (give or take the last socket chunk).
    const resumedFrom = hub.requests
      .filter((r) => r.url.endsWith('/model.safetensors') && r.range && r.range !== 'bytes=0-0')
      .map((r) => Number(/^bytes=(\d+)-/.exec(r.range!)![1]));
    expect(resumedFrom.some((start) => start > 0 && start <= 300_000 && start >= 300_000 - 65_536)).toBe(true);
    expect(existsSync(path.join(destDir, 'model.safetensors.part'))).toBe(false);
  });

  it('fails a download that stays truncated, keeps the partial file for a later resume, and never publishes it', async () => {
    const size = (await stat(path.join(fixture, 'model.safetensors'))).size;
    hub = await startFakeHub({ repos: [{ id: 'lathe/tiny-chat', dir: fixture }], faults: { truncateAt: { 'model.safetensors': 500_000 } } });
    const destDir = path.join(root, 'truncated');
    const error = await downloadHfRepo({ repo: 'lathe/tiny-chat', destDir, hubUrl: hub.url, maxRetries: 2, retryDelayMs: 5 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'truncated_download', message: expect.stringContaining(`stopped at byte 500000 of ${size}`) });
    expect(existsSync(path.join(destDir, 'model.safetensors'))).toBe(false);
    expect((await stat(path.join(destDir, 'model.safetensors.part'))).size).toBe(500_000);
    await expect(inspectHfFolder(destDir)).rejects.toMatchObject({ code: 'missing_weights' });

    // The server recovers: the next call continues from byte 500000 instead of starting over.
    delete hub.faults.truncateAt;
    hub.requests.length = 0;
    await downloadHfRepo({ repo: 'lathe/tiny-chat', destDir, hubUrl: hub.url });
    await sameFile(path.join(destDir, 'model.safetensors'), path.join(fixture, 'model.safetensors'));
    expect(hub.requests.find((r) => r.url.endsWith('/model.safetensors') && r.range !== 'bytes=0-0')?.range).toBe(`bytes=500000-${size - 1}`);
  });

  it('rejects content whose SHA-256 does not match and unknown repos', async () => {
    hub = await startFakeHub({ repos: [{ id: 'lathe/tiny-chat', dir: fixture }], faults: { corrupt: ['model.safetensors'] } });
    const destDir = path.join(root, 'corrupt');
    await expect(downloadHfRepo({ repo: 'lathe/tiny-chat', destDir, hubUrl: hub.url })).rejects.toMatchObject({ code: 'checksum_mismatch' });
    expect(existsSync(path.join(destDir, 'model.safetensors'))).toBe(false);
    expect(existsSync(path.join(destDir, 'model.safetensors.part'))).toBe(false);
    await expect(downloadHfRepo({ repo: 'nobody/nothing', destDir, hubUrl: hub.url })).rejects.toMatchObject({ code: 'hub_not_found' });
  });
});
