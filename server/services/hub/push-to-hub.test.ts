import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub } from '../../../tests/fixtures/hub/fake-hub';
import { writeRandomAdapter, writeRandomModel, type RandomModel } from '../../../tests/kit/models/random-model';
import { mergeAdapterToHf } from '../model-format/export-merged-hf';
import type { ModelError } from '../model-format/errors';
import { modelCard } from './push-model-card';
import { folderPushFiles, pushToHub, type PushProgress } from './push-to-hub';

const TOKEN = 'hf_lathe_push_token';
let root: string;
let base: RandomModel;
let adapterDir: string;
let mergedDir: string;
let hub: FakeHub;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lathe-push-'));
  base = await writeRandomModel({ dir: path.join(root, 'base'), std: 0.1, seed: 11 });
  adapterDir = (await writeRandomAdapter({ dir: path.join(root, 'adapter'), base, r: 4, alpha: 8 })).dir;
  mergedDir = path.join(root, 'merged');
  await mergeAdapterToHf({ modelDir: base.dir, adapterDir, outDir: mergedDir });
});
afterEach(async () => {
  await hub?.close();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const card = (kind: 'adapter' | 'merged') =>
  modelCard({
    name: 'ft:tiny:acme:facts',
    kind,
    baseModel: 'lathe/tiny-chat',
    license: 'apache-2.0',
    dataset: { name: 'facts.jsonl', sha256: 'ab'.repeat(32), examples: 24 },
    hyperparameters: { n_epochs: 3, learning_rate_multiplier: 2, batch_size: 1 },
    metrics: { train_loss: 0.4321, valid_loss: 0.5, full_valid_loss: null },
    trainedTokens: 1234,
  });

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('pushToHub', () => {
  it('creates the repo and pushes an adapter with its model card, every call with the token', async () => {
    hub = await startFakeHub({ repos: [], token: TOKEN, push: { user: 'alice', orgs: ['acme'] } });
    const events: PushProgress[] = [];
    const result = await pushToHub({ hubUrl: hub.url, token: TOKEN, repo: 'acme/facts-adapter', files: await folderPushFiles(adapterDir, card('adapter')), commitMessage: 'Push from Lathe', onProgress: (e) => events.push(e) });
    expect(result.created).toBe(true);
    expect(result.commitOid).toMatch(/^[0-9a-f]{40}$/);
    const create = hub.requests.find((r) => r.url === '/api/repos/create');
    expect(create?.method).toBe('POST');
    expect(hub.requests.filter((r) => !r.url.startsWith('/__lfs/')).every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const repo = hub.pushed.get('acme/facts-adapter')!;
    expect(repo.private).toBe(true);
    expect([...repo.files.keys()].sort()).toEqual(['README.md', 'adapter_config.json', 'adapter_model.safetensors']);
    expect(sha(repo.files.get('adapter_model.safetensors')!)).toBe(sha(await readFile(path.join(adapterDir, 'adapter_model.safetensors'))));
    expect(repo.files.get('adapter_config.json')!.equals(await readFile(path.join(adapterDir, 'adapter_config.json')))).toBe(true);
    // The weights went through LFS, not inline in the commit.
    expect(hub.requests.some((r) => r.url === '/acme/facts-adapter.git/info/lfs/objects/batch')).toBe(true);
    const readme = repo.files.get('README.md')!.toString();
    expect(readme).toMatch(/^---\nbase_model: "lathe\/tiny-chat"\nlibrary_name: peft\n/);
    expect(readme).toContain('- "lora"');
    expect(readme).toContain(`SHA-256: \`${'ab'.repeat(32)}\``);
    expect(readme).toContain('| n_epochs | 3 |');
    expect(readme).toContain('| train_loss | 0.4321 |');
    expect(readme).not.toContain('full_valid_loss');
    expect(repo.commits).toEqual([{ summary: 'Push from Lathe', paths: ['adapter_config.json', 'adapter_model.safetensors', 'README.md'] }]);
    expect(events.at(-1)).toMatchObject({ phase: 'done', bytes: events.at(-1)!.totalBytes });
  });

  it('pushes the merged model: safetensors, config and tokenizer, into the user namespace', async () => {
    hub = await startFakeHub({ repos: [], token: TOKEN, push: { user: 'alice' } });
    await pushToHub({ hubUrl: hub.url, token: TOKEN, repo: 'alice/facts-merged', files: await folderPushFiles(mergedDir, card('merged')), commitMessage: 'Push', private: false });
    const repo = hub.pushed.get('alice/facts-merged')!;
    expect(repo.private).toBe(false);
    for (const name of ['model.safetensors', 'config.json', 'tokenizer.json', 'tokenizer_config.json']) {
      expect(repo.files.get(name)?.equals(await readFile(path.join(mergedDir, name))), name).toBe(true);
    }
    expect(repo.files.get('README.md')!.toString()).toContain('library_name: transformers');
  });

  it('pushes again into an existing repo of its own (409 on create) and skips weights the Hub holds', async () => {
    hub = await startFakeHub({ repos: [], token: TOKEN, push: { user: 'alice', existing: ['alice/again'] } });
    const files = await folderPushFiles(adapterDir, card('adapter'));
    const first = await pushToHub({ hubUrl: hub.url, token: TOKEN, repo: 'alice/again', files, commitMessage: 'one' });
    expect(first.created).toBe(false);
    await pushToHub({ hubUrl: hub.url, token: TOKEN, repo: 'alice/again', files, commitMessage: 'two' });
    expect(hub.requests.filter((r) => r.url.startsWith('/__lfs/'))).toHaveLength(1);
    expect(hub.pushed.get('alice/again')!.commits.map((c) => c.summary)).toEqual(['one', 'two']);
  });

  it('refuses clearly: no token, a bad token (401), a repo outside the token namespaces', async () => {
    hub = await startFakeHub({ repos: [], token: TOKEN, push: { user: 'alice', existing: ['bob/model'] } });
    const files = await folderPushFiles(adapterDir, card('adapter'));
    const attempt = (token: string | undefined, repo: string) => pushToHub({ hubUrl: hub.url, token, repo, files, commitMessage: 'x' }).then(() => null, (e: ModelError) => e);
    expect(await attempt(undefined, 'alice/x')).toMatchObject({ code: 'hub_no_token' });
    const bad = await attempt('hf_wrong_token', 'alice/x');
    expect(bad).toMatchObject({ code: 'hub_unauthorized' });
    expect(bad!.message).toContain('401');
    const foreign = await attempt(TOKEN, 'bob/model');
    expect(foreign).toMatchObject({ code: 'hub_repo_not_ours' });
    expect(foreign!.message).toContain('bob/model');
    expect(await attempt(TOKEN, 'not a repo')).toMatchObject({ code: 'hub_error' });
    expect(hub.pushed.get('bob/model')!.files.size).toBe(0);
    expect(hub.requests.some((r) => r.url === '/api/repos/create')).toBe(false);
  });
});
