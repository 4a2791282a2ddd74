// Acceptance of the model registry across processes: `lathe fixtures tiny-model` then
// `lathe models import` gives a READY, chat-capable model whose GGUF is in the artifact store and
// loads in llama.cpp; bad folders fail with their reason; and the real worker process imports
// from the local Hub server and survives imports that fail.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkGgufLoads } from '@/server/services/model-format/convert/check-gguf-loads';
import { fixtureSourceHash } from '@/gpu-runner/trainer/python';
import { getDb } from '@/server/db';
import { stopBoss } from '@/server/queue/boss';
import { artifactStoreConfigFromEnv, createArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { ZModelArtifacts } from '@/server/services/model-registry';
import { findPort } from '@/scripts/lib/supervisor';
import { startFakeHub, type FakeHub } from '@/tests/fixtures/hub/fake-hub';
import { runLathe } from '@/tests/helpers/cli';
import { callerFor, createTestUser, type TestUser } from '@/tests/helpers/factories';
import { useOwnDatabase } from '@/tests/helpers/own-database';

const store = createArtifactStore(artifactStoreConfigFromEnv());
let modelDir: string;
let root: string;
const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * The tiny model written by the real `lathe fixtures tiny-model` command, once per version of the
 * generator's sources (it takes up to a minute), in the OS temp dir like the trainer's own cache.
 */
async function cliTinyModel(): Promise<string> {
  const dir = path.join(process.env.LATHE_FIXTURE_CACHE || os.tmpdir(), `lathe-cli-tiny-model-${fixtureSourceHash()}`);
  const complete = path.join(dir, '.complete');
  if (existsSync(complete)) return dir;
  const result = await runLathe(['fixtures', 'tiny-model', '--out', dir, '--quiet']);
  if (result.code !== 0) throw new Error(`lathe fixtures tiny-model failed (${result.code}): ${result.stderr}`);
  expect(result.stdout).toContain(`tiny model written to ${dir}`);
  await writeFile(complete, '');
  return dir;
}

async function brokenCopy(label: string, change: (dir: string) => Promise<unknown>, base = root) {
  const dir = path.join(base, label);
  await cp(modelDir, dir, { recursive: true, filter: (src) => !src.endsWith('.complete') });
  await change(dir);
  return dir;
}

async function waitForFinal(ids: string[], timeoutMs = 100_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await getDb().baseModel.findMany({ where: { id: { in: ids } } });
    if (rows.length === ids.length && rows.every((r) => r.status === 'READY' || r.status === 'FAILED')) return new Map(rows.map((r) => [r.id, r]));
    if (Date.now() > deadline) throw new Error(`imports not finished: ${rows.map((r) => `${r.name}=${r.status}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// Its worker and runner processes must see only its own rows (tests/helpers/own-database.ts).
useOwnDatabase();

beforeAll(async () => {
  modelDir = await cliTinyModel();
  root = await mkdtemp(path.join(os.tmpdir(), 'lathe-models-e2e-'));
  // Organization owners import server folders only from their own sub-folder of the import root.
  process.env.LATHE_IMPORT_ROOT = root;
}, 300_000);

afterAll(async () => {
  await stopBoss();
  await rm(root, { recursive: true, force: true });
});

describe('lathe models import', () => {
  it('imports the tiny fixture as a READY, chat-capable model whose GGUF is stored and loads in llama.cpp', async () => {
    const name = unique('tiny');
    const result = await runLathe(['models', 'import', modelDir, '--name', name]);
    expect(result.stderr).not.toMatch(/lathe: /);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`model ${name} READY id=`));
    expect(result.stdout).toContain('chat template: yes');
    expect(result.stdout).toContain('platform-wide');

    const row = await getDb().baseModel.findFirstOrThrow({ where: { name } });
    expect(row).toMatchObject({ status: 'READY', chatTemplate: true, organizationId: null, architecture: 'LlamaForCausalLM' });
    const artifacts = ZModelArtifacts.parse(row.artifacts);
    expect(await store.has(artifacts.gguf.sha256)).toBe(true);
    const gguf = path.join(root, `${name}.gguf`);
    await store.materialize(artifacts.gguf.sha256, gguf);
    expect(await checkGgufLoads({ modelGguf: gguf })).toMatchObject({ ok: true, architecture: 'llama' });

    const list = await runLathe(['models', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${name}\\t${row.id}\\tplatform\\tREADY LlamaForCausalLM`, 'm'));
  });

  it("imports into a user's personal project with --email", async () => {
    const user = await createTestUser();
    const name = unique('mine');
    const result = await runLathe(['models', 'import', modelDir, '--name', name, '--email', user.email]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('organization');
    expect(await getDb().baseModel.findFirstOrThrow({ where: { name } })).toMatchObject({ organizationId: user.organization.id, projectId: user.project.id, status: 'READY' });
  });

  it.each([
    ['missing_config', /no config\.json/, (d: string) => rm(path.join(d, 'config.json'))],
    ['missing_weights', /no \.safetensors weights/, (d: string) => rm(path.join(d, 'model.safetensors'))],
    [
      'unsupported_architecture',
      /GPTNeoXForCausalLM is not supported/,
      async (d: string) => {
        const config = JSON.parse(await readFile(path.join(d, 'config.json'), 'utf8'));
        await writeFile(path.join(d, 'config.json'), JSON.stringify({ ...config, architectures: ['GPTNeoXForCausalLM'] }));
      },
    ],
    [
      'corrupt_safetensors',
      /not a valid safetensors file/,
      async (d: string) => {
        const bytes = await readFile(path.join(d, 'model.safetensors'));
        bytes.writeUInt32LE(0xffffff, 0);
        await writeFile(path.join(d, 'model.safetensors'), bytes);
      },
    ],
  ])('fails a folder with %s, exiting non-zero with the reason and leaving no READY row', async (code, message, change) => {
    const dir = await brokenCopy(unique(code), change);
    const name = unique('bad');
    const result = await runLathe(['models', 'import', dir, '--name', name]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`lathe: import of ${name} failed (${code}): `);
    expect(result.stderr).toMatch(message);
    const rows = await getDb().baseModel.findMany({ where: { name } });
    expect(rows.map((r) => r.status)).toEqual(['FAILED']);
  });
});

describe('the worker process', () => {
  let worker: ChildProcess;
  let opsUrl: string;
  let hub: FakeHub;
  let owner: TestUser;
  const output: string[] = [];

  beforeAll(async () => {
    owner = await createTestUser();
    hub = await startFakeHub({ repos: [{ id: 'lathe/tiny-chat', dir: modelDir }], faults: { dropOnce: { 'model.safetensors': 250_000 } } });
    const port = await findPort(3400);
    opsUrl = `http://127.0.0.1:${port}`;
    worker = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      env: { ...process.env, WORKER_OPS_PORT: String(port), HF_ENDPOINT: hub.url, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (d) => output.push(String(d)));
    worker.stderr!.on('data', (d) => output.push(String(d)));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (worker.exitCode !== null) throw new Error(`worker exited ${worker.exitCode}: ${output.join('')}`);
      const ok = await fetch(`${opsUrl}/health`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`worker did not become healthy: ${output.join('')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 120_000);

  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await hub?.close();
  });

  it('imports queued models: a Hub repo reaches READY while bad input fails, and the worker keeps running', async () => {
    const caller = callerFor(owner);
    const ownFolder = path.join(root, owner.organization.id);
    const badDir = await brokenCopy(
      unique('neox'),
      async (d) => {
        const config = JSON.parse(await readFile(path.join(d, 'config.json'), 'utf8'));
        await writeFile(path.join(d, 'config.json'), JSON.stringify({ ...config, architectures: ['GPTNeoXForCausalLM'] }));
      },
      ownFolder,
    );
    const truncated = path.join(ownFolder, 'truncated.gguf');
    const ready = await getDb().baseModel.findFirstOrThrow({ where: { status: 'READY', source: 'FOLDER' } });
    await store.materialize(ZModelArtifacts.parse(ready.artifacts).gguf.sha256, path.join(root, 'whole.gguf'));
    const whole = await readFile(path.join(root, 'whole.gguf'));
    await writeFile(truncated, whole.subarray(0, Math.floor(whole.length * 0.6)));

    const pid = worker.pid;
    const bad = await caller.model.importFromFolder({ dir: badDir, name: unique('neox') });
    const badGguf = await caller.model.importFromGguf({ file: truncated, name: unique('cut') });
    const fromHub = await caller.model.importFromHub({ repo: 'lathe/tiny-chat', name: unique('hub') });
    const rows = await waitForFinal([bad.id, badGguf.id, fromHub.id]);

    expect(rows.get(bad.id)).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/GPTNeoXForCausalLM is not supported/) });
    expect(rows.get(badGguf.id)).toMatchObject({ status: 'FAILED', artifacts: null });
    expect(rows.get(fromHub.id)).toMatchObject({ status: 'READY', chatTemplate: true, source: 'HUGGING_FACE' });
    expect(ZModelArtifacts.parse(rows.get(fromHub.id)!.artifacts).hf!.files['model.safetensors']).toBeDefined();

    const listed = await caller.model.list();
    expect(listed.find((m) => m.id === fromHub.id)).toMatchObject({ status: 'READY', chatCapable: true, trainable: true });
    expect(listed.find((m) => m.id === bad.id)).toMatchObject({ status: 'FAILED', errorCode: 'unsupported_architecture' });

    expect(worker.exitCode).toBeNull();
    expect(worker.pid).toBe(pid);
    const health = await fetch(`${opsUrl}/health`);
    expect(health.status).toBe(200);
    expect(JSON.stringify(await health.json())).toContain('model.import');
  });
});
