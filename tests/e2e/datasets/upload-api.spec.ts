// Dataset uploads over real HTTP against the web and worker processes: resumable tus uploads with
// tus-js-client (an interrupted upload resumed from where it stopped), the size limit, another
// project's upload URL, and the OpenAI files API driven by the official `openai` client.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { Upload } from 'tus-js-client';
import { getDb } from '@/server/db';
import { findPort, startPlatform, type Platform } from '@/scripts/lib/supervisor';
import { createTestKey, createTestUser, type TestUser } from '@/tests/helpers/factories';
import { useOwnDatabase } from '@/tests/helpers/own-database';

const MAX_UPLOAD_BYTES = 3 * 1024 * 1024;
let platform: Platform;
let logs: string[] = [];
let user: TestUser;
let key: string;
let otherKey: string;
let openai: OpenAI;

/** A valid chat dataset of about `bytes` bytes, every line distinct. */
function chatFile(bytes: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = JSON.stringify({ messages: [{ role: 'user', content: `Question ${i}: what is ${i} + ${i}?` }, { role: 'assistant', content: `${i} + ${i} = ${2 * i}.` }] });
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

function tusUpload(data: Buffer, options: { key?: string; uploadUrl?: string; onProgress?: (sent: number, total: number) => void; metadata?: Record<string, string> }) {
  return new Upload(data, {
    endpoint: `${platform.url}/api/uploads`,
    uploadUrl: options.uploadUrl,
    chunkSize: 256 * 1024,
    retryDelays: [],
    headers: options.key ? { authorization: `Bearer ${options.key}` } : {},
    metadata: { filename: 'train.jsonl', filetype: 'application/jsonl', ...options.metadata },
    onProgress: options.onProgress,
  });
}

function finish(upload: Upload): Promise<{ datasetId: string | null }> {
  return new Promise((resolve, reject) => {
    upload.options.onSuccess = (payload) => resolve({ datasetId: payload.lastResponse.getHeader('Lathe-Dataset-Id') ?? null });
    upload.options.onError = reject;
    upload.start();
  });
}

async function waitForFile(id: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const file = await openai.files.retrieve(id);
    if (file.status !== 'uploaded') return file;
    if (Date.now() > deadline) throw new Error(`file ${id} still ${file.status}\n${logs.slice(-30).join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// Its worker and runner processes must see only its own rows (tests/helpers/own-database.ts).
useOwnDatabase();

beforeAll(async () => {
  // A port of its own: other suites start web processes at the same time from 3000 up.
  const port = await findPort(3200 + Math.floor(Math.random() * 700));
  platform = await startPlatform({ port, processes: ['web', 'worker'], env: { LOG_LEVEL: 'warn', LATHE_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) }, log: (line) => logs.push(line) }).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${logs.slice(-40).join('\n')}`);
  });
  user = await createTestUser();
  key = await createTestKey(user);
  otherKey = await createTestKey(await createTestUser());
  openai = new OpenAI({ apiKey: key, baseURL: `${platform.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await platform?.stop();
  logs = [];
});

describe('resumable upload (tus)', () => {
  it('resumes an interrupted upload from the server\'s offset; the worker then validates the dataset', async () => {
    const data = chatFile(1_500_000);
    const first = tusUpload(data, { key });
    await new Promise<void>((resolve, reject) => {
      first.options.onError = reject;
      first.options.onProgress = (sent) => {
        if (sent >= data.length / 3) {
          void first.abort().then(resolve);
        }
      };
      first.start();
    });
    expect(first.url).toMatch(/\/api\/uploads\/[0-9a-f]+$/);

    const head = await fetch(first.url!, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${key}` } });
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(data.length);

    let firstReported = -1;
    const resumed = tusUpload(data, {
      key,
      uploadUrl: first.url!,
      onProgress: (sent) => {
        if (firstReported < 0) firstReported = sent;
      },
    });
    const { datasetId } = await finish(resumed);
    expect(firstReported).toBeGreaterThanOrEqual(offset);
    expect(datasetId).toBeTruthy();

    const row = await getDb().dataset.findUniqueOrThrow({ where: { id: datasetId! } });
    expect(row.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(Number(row.sizeBytes)).toBe(data.length);
    expect(row.filename).toBe('train.jsonl');
    const file = await waitForFile(`file-${datasetId}`);
    expect(file.status).toBe('processed');
    const validated = await getDb().dataset.findUniqueOrThrow({ where: { id: datasetId! } });
    expect(validated.status).toBe('VALID');
    expect(validated.examples).toBe(data.toString().trim().split('\n').length);

    // The finished upload is gone from the upload area: it is a dataset now.
    const after = await fetch(first.url!, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${key}` } });
    expect(after.status).toBe(404);
  });

  it('checks a checksum sent with the upload and refuses a mismatch without creating a dataset', async () => {
    const data = chatFile(20_000);
    const before = await getDb().dataset.count({ where: { projectId: user.project.id } });
    const error = await finish(tusUpload(data, { key, metadata: { sha256: 'b'.repeat(64) } })).catch((e: unknown) => e);
    expect(String(error)).toMatch(/does not match the checksum/);
    expect(await getDb().dataset.count({ where: { projectId: user.project.id } })).toBe(before);
    const ok = await finish(tusUpload(data, { key, metadata: { sha256: createHash('sha256').update(data).digest('hex') } }));
    expect(ok.datasetId).toBeTruthy();
  });

  it('refuses a file over LATHE_MAX_UPLOAD_BYTES with a clear 413', async () => {
    const res = await fetch(`${platform.url}/api/uploads`, {
      method: 'POST',
      headers: { 'tus-resumable': '1.0.0', 'upload-length': String(MAX_UPLOAD_BYTES + 1), authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(413);
    expect(await res.text()).toMatch(/larger than 3 MiB, the largest dataset Lathe accepts \(LATHE_MAX_UPLOAD_BYTES = 3145728 bytes\)/);
  });

  it('refuses callers without a session or key, and hides one project\'s upload from another', async () => {
    const anonymous = await fetch(`${platform.url}/api/uploads`, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '10' } });
    expect(anonymous.status).toBe(401);
    const badKey = await fetch(`${platform.url}/api/uploads`, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '10', authorization: 'Bearer lk-not-a-key' } });
    expect(badKey.status).toBe(401);

    const created = await fetch(`${platform.url}/api/uploads`, {
      method: 'POST',
      headers: { 'tus-resumable': '1.0.0', 'upload-length': '10', authorization: `Bearer ${key}`, 'upload-metadata': `filename ${Buffer.from('x.jsonl').toString('base64')}` },
    });
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get('location')!, platform.url).toString();
    const tus = { 'tus-resumable': '1.0.0', authorization: `Bearer ${otherKey}` };
    expect((await fetch(location, { method: 'HEAD', headers: tus })).status).toBe(404);
    const patch = await fetch(location, { method: 'PATCH', headers: { ...tus, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, body: '0123456789' });
    expect(patch.status).toBe(404);
    expect((await fetch(location, { method: 'DELETE', headers: tus })).status).toBe(404);
    const own = await fetch(location, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${key}` } });
    expect(own.status).toBe(200);
    expect(own.headers.get('upload-offset')).toBe('0');
    expect((await fetch(location, { headers: { authorization: `Bearer ${key}` } })).status).toBe(405);
  });
});

describe('OpenAI files API with the openai client', () => {
  it('uploads, lists, retrieves, downloads and deletes a fine-tuning file', async () => {
    const text = await readFile(path.resolve('tests/fixtures/datasets/good/chat.jsonl'));
    const created = await openai.files.create({ file: await toFile(text, 'chat.jsonl'), purpose: 'fine-tune' });
    expect(created).toMatchObject({ object: 'file', bytes: text.length, filename: 'chat.jsonl', purpose: 'fine-tune', status: 'uploaded' });
    expect(created.id).toMatch(/^file-/);
    expect(typeof created.created_at).toBe('number');

    expect((await waitForFile(created.id)).status).toBe('processed');
    const listed = await openai.files.list({ purpose: 'fine-tune' });
    expect(listed.data.map((f) => f.id)).toContain(created.id);
    expect((await openai.files.list({ purpose: 'batch' })).data).toEqual([]);

    const content = await openai.files.content(created.id);
    expect(Buffer.from(await content.arrayBuffer()).equals(text)).toBe(true);

    expect(await openai.files.delete(created.id)).toEqual({ id: created.id, object: 'file', deleted: true });
    const gone = await openai.files.retrieve(created.id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('pages through the list with after and limit', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await openai.files.create({ file: await toFile(Buffer.from(`{"prompt":"p${i}","completion":"c"}\n`), `page-${i}.jsonl`), purpose: 'fine-tune' })).id);
    const seen: string[] = [];
    for await (const file of openai.files.list({ limit: 2 })) seen.push(file.id);
    for (const id of ids) expect(seen).toContain(id);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('reports an invalid file as status error with the first findings', async () => {
    const bad = await readFile(path.resolve('tests/fixtures/datasets/bad/invalid_json.jsonl'));
    const created = await openai.files.create({ file: await toFile(bad, 'bad.jsonl'), purpose: 'fine-tune' });
    const file = (await waitForFile(created.id)) as typeof created & { status_details: string | null };
    expect(file.status).toBe('error');
    expect(file.status_details).toMatch(/line 7: invalid_json/);
  });

  it('answers malformed requests with 400 in OpenAI\'s error shape, never 500', async () => {
    const auth = { authorization: `Bearer ${key}` };
    const cases: [string, RequestInit, number, string][] = [
      ['json body', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"purpose":"fine-tune"}' }, 400, 'invalid_request'],
      ['broken multipart', { method: 'POST', headers: { ...auth, 'content-type': 'multipart/form-data; boundary=xyz' }, body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n\r\nabc' }, 400, 'invalid_request'],
      ['no boundary', { method: 'POST', headers: { ...auth, 'content-type': 'multipart/form-data' }, body: 'x' }, 400, 'invalid_request'],
    ];
    const form = (parts: Record<string, string | Blob>) => {
      const data = new FormData();
      for (const [name, value] of Object.entries(parts)) {
        if (value instanceof Blob) data.append(name, value, 'a.jsonl');
        else data.append(name, value);
      }
      return data;
    };
    const jsonl = new Blob(['{"prompt":"a","completion":"b"}\n']);
    const formCases: [string, FormData, number, string][] = [
      ['no file', form({ purpose: 'fine-tune' }), 400, 'missing_file'],
      ['no purpose', form({ file: jsonl }), 400, 'missing_required_parameter'],
      ['wrong purpose', form({ file: jsonl, purpose: 'assistants' }), 400, 'invalid_purpose'],
      ['too large', form({ file: new Blob([Buffer.alloc(MAX_UPLOAD_BYTES + 10, 0x61)]), purpose: 'fine-tune' }), 413, 'file_too_large'],
    ];
    for (const [name, init, status, code] of [...cases, ...formCases.map(([n, body, s, c]) => [n, { method: 'POST', headers: auth, body }, s, c] as [string, RequestInit, number, string])]) {
      const res = await fetch(`${platform.url}/v1/files`, init);
      expect(res.status, name).toBe(status);
      const body = (await res.json()) as { error: { type: string; code: string; message: string } };
      expect(body.error.code, name).toBe(code);
      expect(body.error.type, name).toBe('invalid_request_error');
    }
    for (const url of ['/v1/files/file-nope', '/v1/files/%00', '/v1/files/file-nope/content']) {
      const res = await fetch(`${platform.url}${url}`, { headers: auth });
      expect(res.status, url).toBe(404);
      expect(((await res.json()) as { error: { type: string } }).error.type).toBe('not_found_error');
    }
    const badLimit = await fetch(`${platform.url}/v1/files?limit=zero`, { headers: auth });
    expect(badLimit.status).toBe(400);
    expect((await fetch(`${platform.url}/v1/files`, { headers: { authorization: 'Bearer lk-nope' } })).status).toBe(401);
  });
});
