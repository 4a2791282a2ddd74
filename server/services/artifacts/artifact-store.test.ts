import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArtifactStore, type ArtifactStore } from './create-artifact-store';
import { bufferSource } from './local-store';
import { S3ArtifactStore } from './s3-store';

const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

let root: string;
let s3server: S3rver;
let endpoint: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lathe-artifacts-'));
  s3server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: path.join(root, 's3rver'), configureBuckets: [{ name: 'lathe' }] });
  const { port } = await s3server.run();
  endpoint = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await s3server.close();
  await rm(root, { recursive: true, force: true });
});

function failingSource(): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.alloc(1024, 1));
      } else this.destroy(new Error('connection reset'));
    },
  });
}

const backends: Array<[string, () => ArtifactStore]> = [
  ['local', () => createArtifactStore({ backend: 'local', dataDir: path.join(root, 'data') })],
  [
    's3 (s3rver)',
    () =>
      createArtifactStore({
        backend: 's3',
        bucket: 'lathe',
        prefix: 'team-a',
        endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        spoolDir: path.join(root, 'spool'),
        partSizeBytes: 5 * 1024 * 1024,
      }),
  ],
];

describe.each(backends)('artifact store: %s', (_name, make) => {
  it('stores a stream under its SHA-256, dedupes, streams and materializes it', async () => {
    const store = make();
    const data = Buffer.from(`adapter weights ${Math.random()}`);
    const ref = await store.put(bufferSource(data));
    expect(ref).toEqual({ sha256: sha(data), size: data.length, key: `sha256/${sha(data).slice(0, 2)}/${sha(data).slice(2)}` });
    expect(await store.has(ref.sha256)).toBe(true);
    expect(await store.stat(ref.sha256)).toEqual(ref);
    expect(await store.put(bufferSource(data))).toEqual(ref);
    expect(await text(await store.get(ref.sha256, { verify: true }))).toBe(data.toString());

    const dest = path.join(root, 'materialized', _name, 'weights.bin');
    expect(await store.materialize(ref.sha256, dest)).toEqual(ref);
    expect(await readFile(dest)).toEqual(data);

    expect(await store.delete(ref.sha256)).toBe(true);
    expect(await store.has(ref.sha256)).toBe(false);
    expect(await store.delete(ref.sha256)).toBe(false);
  });

  it('stores a file path, in parts when it is large', async () => {
    const store = make();
    const file = path.join(root, `big-${_name.replace(/\W/g, '')}.bin`);
    const data = randomBytes(12 * 1024 * 1024 + 17);
    await writeFile(file, data);
    const ref = await store.put(file);
    expect(ref.sha256).toBe(sha(data));
    expect(ref.size).toBe(data.length);
    const dest = path.join(root, 'materialized', _name, 'big.bin');
    await store.materialize(ref.sha256, dest);
    expect(sha(await readFile(dest))).toBe(ref.sha256);
  });

  it('adopts a finished file under the digest it was written with, and keeps the file where it was', async () => {
    const store = make();
    const file = path.join(root, `finished-${_name.replace(/\W/g, '')}.jsonl`);
    const data = Buffer.from(`{"prompt":"${Math.random()}"}\n`);
    await writeFile(file, data);
    const ref = await store.adopt(file, { sha256: sha(data), size: data.length });
    expect(ref).toEqual({ sha256: sha(data), size: data.length, key: `sha256/${sha(data).slice(0, 2)}/${sha(data).slice(2)}` });
    expect(await text(await store.get(ref.sha256, { verify: true }))).toBe(data.toString());
    expect(await readFile(file)).toEqual(data);
    expect(await store.adopt(file, { sha256: sha(data), size: data.length })).toEqual(ref);
  });

  it('publishes nothing when the hash is not the expected one or the source fails', async () => {
    const store = make();
    const data = Buffer.from('dataset rows');
    await expect(store.put(bufferSource(data), { expectedSha256: sha('something else') })).rejects.toMatchObject({ code: 'checksum_mismatch' });
    expect(await store.has(sha(data))).toBe(false);
    await expect(store.put(failingSource())).rejects.toThrow(/connection reset/);
    expect(await store.has(sha(Buffer.alloc(1024, 1)))).toBe(false);
  });

  it('answers not_found and invalid_digest clearly', async () => {
    const store = make();
    await expect(store.get(sha('missing'))).rejects.toMatchObject({ code: 'not_found' });
    await expect(store.materialize(sha('missing'), path.join(root, 'nothing'))).rejects.toMatchObject({ code: 'not_found' });
    expect(await store.stat(sha('missing'))).toBeNull();
    await expect(store.has('../../etc/passwd')).rejects.toMatchObject({ code: 'invalid_digest' });
  });
});

describe('local backend specifics', () => {
  it('lays files out under artifacts/sha256/ab/…, read-only, hardlinked on materialize, with no temp files left', async () => {
    const dataDir = path.join(root, 'layout');
    const store = createArtifactStore({ backend: 'local', dataDir });
    const data = Buffer.from('model.gguf bytes');
    const ref = await store.put(bufferSource(data));
    const file = path.join(dataDir, 'artifacts', 'sha256', ref.sha256.slice(0, 2), ref.sha256.slice(2));
    const info = await stat(file);
    expect(info.mode & 0o777).toBe(0o444);
    const dest = path.join(root, 'linked.gguf');
    await store.materialize(ref.sha256, dest);
    expect((await stat(dest)).ino).toBe(info.ino);
    await store.put(failingSource()).catch(() => undefined);
    expect(await readdir(path.join(dataDir, 'artifacts', 'tmp'))).toEqual([]);
  });

  it('adopts a file by linking it, read-only, rather than copying it', async () => {
    const dataDir = path.join(root, 'adopt');
    const store = createArtifactStore({ backend: 'local', dataDir });
    const file = path.join(root, 'adopted.jsonl');
    const data = Buffer.from('{"prompt":"linked"}\n');
    await writeFile(file, data);
    const ref = await store.adopt(file, { sha256: sha(data), size: data.length });
    const stored = await stat(path.join(dataDir, 'artifacts', ref.key));
    expect(stored.ino).toBe((await stat(file)).ino);
    expect(stored.mode & 0o777).toBe(0o444);
  });

  it('takes concurrent puts of the same content', async () => {
    const store = createArtifactStore({ backend: 'local', dataDir: path.join(root, 'concurrent') });
    const data = randomBytes(256 * 1024);
    const refs = await Promise.all(Array.from({ length: 4 }, () => store.put(bufferSource(data))));
    expect(new Set(refs.map((r) => r.sha256))).toEqual(new Set([sha(data)]));
  });
});

describe('S3 backend specifics', () => {
  it('leaves only complete objects under the prefix, and no open multipart uploads', async () => {
    const store = backends[1]![1]() as S3ArtifactStore;
    await store.put(failingSource()).catch(() => undefined);
    const listed = await store.client.send(new ListObjectsV2Command({ Bucket: 'lathe', Prefix: 'team-a/' }));
    for (const object of listed.Contents ?? []) expect(object.Key).toMatch(/^team-a\/sha256\/[0-9a-f]{2}\/[0-9a-f]{62}$/);
    const uploads = await store.client.send(new ListMultipartUploadsCommand({ Bucket: 'lathe' })).catch(() => ({ Uploads: [] }));
    expect(uploads.Uploads ?? []).toEqual([]);
  });
});
