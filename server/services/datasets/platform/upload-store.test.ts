// Two stores on one database and one data directory stand for two web processes: everything one
// knows, the other must.
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS, Upload } from '@tus/server';
import { getDb } from '@/server/db';
import { tenantDb, type TenantContext } from '@/server/db/tenant';
import { datasetStore } from '@/server/services/datasets/platform/config';
import { LatheError } from '@/server/services/errors';
import { createTestUser, type TestUser } from '@/tests/helpers/factories';
import { UploadStore } from './upload-store';

const storeOn = (expirationMs = 24 * 3600_000) => new UploadStore({ db: getDb, databaseUrl: () => process.env.DATABASE_URL!, expirationMs });
const [one, two] = [storeOn(), storeOn()];

let user: TestUser;
let tenant: TenantContext;

beforeAll(async () => {
  user = await createTestUser();
  const scope = { organizationId: user.organization.id, projectId: user.project.id };
  tenant = { db: tenantDb(scope), scope, actor: { userId: user.user.id } };
});
afterAll(async () => {
  await Promise.all([one.close(), two.close()]);
});

const jsonl = (lines: number) => Buffer.from(Array.from({ length: lines }, (_, i) => JSON.stringify({ prompt: `p${i}`, completion: `c${i}` })).join('\n') + '\n');

async function created(size: number, store = one) {
  const upload = new Upload({ id: randomBytes(16).toString('hex'), size, offset: 0, metadata: { filename: 'x.jsonl' }, creation_date: new Date().toISOString() });
  await store.create(upload);
  return upload.id;
}

describe('UploadStore', () => {
  it('shows what one process wrote to another, and refuses a write from a stale offset there', async () => {
    const data = jsonl(50);
    const id = await created(data.length);
    expect(await one.write(Readable.from([data.subarray(0, 100)]), id, 0)).toBe(100);
    expect((await two.getUpload(id)).offset).toBe(100);
    await expect(two.write(Readable.from([data.subarray(0, 100)]), id, 0)).rejects.toBe(ERRORS.INVALID_OFFSET);
    expect(await two.write(Readable.from([data.subarray(100)]), id, 100)).toBe(data.length);
    expect((await one.getUpload(id)).offset).toBe(data.length);
  });

  it('stores an upload of many parts, sent in requests that end mid-part, and gives back exactly its bytes', async () => {
    // Small parts, so more than ten of them (their order is numeric, not textual) from a small file.
    const small = new UploadStore({ db: getDb, databaseUrl: () => process.env.DATABASE_URL!, expirationMs: 3600_000, partBytes: 1000 });
    try {
      const data = jsonl(700);
      const id = await created(data.length, small);
      const cuts = [0, 4321, 9000, 9001, 15_555, data.length];
      for (let i = 0; i + 1 < cuts.length; i++) {
        // Each request arrives in uneven chunks, as a socket delivers it.
        const slice = data.subarray(cuts[i], cuts[i + 1]);
        const chunks = Array.from({ length: Math.ceil(slice.length / 333) }, (_, c) => slice.subarray(c * 333, (c + 1) * 333));
        expect(await small.write(Readable.from(chunks), id, cuts[i]!)).toBe(cuts[i + 1]);
      }
      expect(await getDb().uploadPart.count({ where: { uploadId: id } })).toBeGreaterThan(10);
      const datasetId = await two.finish({ id, tenant, maxBytes: 1 << 20, filename: 'x.jsonl' });
      const dataset = await getDb().dataset.findUniqueOrThrow({ where: { id: datasetId } });
      expect(dataset.sha256).toBe(createHash('sha256').update(data).digest('hex'));
      expect(Number(dataset.sizeBytes)).toBe(data.length);
    } finally {
      await small.close();
    }
  });

  it('links an upload that arrived in one request into the artifact store as it lies, with the digest of its bytes', async () => {
    // A line of its own, so no other test has stored this content already.
    const data = Buffer.concat([jsonl(500), Buffer.from(`${JSON.stringify({ prompt: randomBytes(8).toString('hex'), completion: 'c' })}\n`)]);
    const id = await created(data.length);
    // Uneven chunks across several parts: the digest is taken as they arrive, not from the file.
    const small = new UploadStore({ db: getDb, databaseUrl: () => process.env.DATABASE_URL!, expirationMs: 3600_000, partBytes: 4000 });
    const chunks = Array.from({ length: Math.ceil(data.length / 777) }, (_, c) => data.subarray(c * 777, (c + 1) * 777));
    expect(await small.write(Readable.from(chunks), id, 0)).toBe(data.length);
    const parts = await getDb().uploadPart.findMany({ where: { uploadId: id }, orderBy: { offset: 'asc' } });
    expect(parts.length).toBeGreaterThan(2);
    expect(new Set(parts.map((p) => p.file)).size).toBe(1);
    const file = path.join(process.env.LATHE_DATA_DIR!, 'uploads', id, parts[0]!.file!);
    const inode = (await stat(file)).ino;
    const datasetId = await small.finish({ id, tenant, maxBytes: 1 << 20, filename: 'x.jsonl' });
    const dataset = await getDb().dataset.findUniqueOrThrow({ where: { id: datasetId } });
    expect(dataset.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    const stored = await datasetStore().stat(dataset.sha256!);
    expect(stored?.size).toBe(data.length);
    // The same inode: linked, not copied.
    expect((await stat(path.join(process.env.LATHE_DATA_DIR!, 'artifacts', stored!.key))).ino).toBe(inode);
    await expect(readdir(path.dirname(file))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('hashes again an upload finished by a process that did not receive it, and one resumed after a broken request', async () => {
    // One request, finished on the other process: it has no digest of its own and reads the file.
    const whole = jsonl(120);
    const first = await created(whole.length);
    await one.write(Readable.from([whole]), first, 0);
    const firstId = await two.finish({ id: first, tenant, maxBytes: 1 << 20, filename: 'x.jsonl' });
    expect((await getDb().dataset.findUniqueOrThrow({ where: { id: firstId } })).sha256).toBe(createHash('sha256').update(whole).digest('hex'));

    // A request broken mid-file, resumed by another request on the same process: two files, hashed as they are joined.
    const data = jsonl(130);
    const id = await created(data.length);
    const broken = new Readable({ read() {} });
    broken.push(data.subarray(0, 1234));
    setImmediate(() => broken.destroy(new Error('connection reset')));
    await expect(one.write(broken, id, 0)).rejects.toThrow('connection reset');
    expect((await one.getUpload(id)).offset).toBe(1234);
    expect(await one.write(Readable.from([data.subarray(1234)]), id, 1234)).toBe(data.length);
    const datasetId = await one.finish({ id, tenant, maxBytes: 1 << 20, filename: 'x.jsonl' });
    expect((await getDb().dataset.findUniqueOrThrow({ where: { id: datasetId } })).sha256).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('refuses to finish an upload that lost a part, and keeps it so the client can be told', async () => {
    const small = new UploadStore({ db: getDb, databaseUrl: () => process.env.DATABASE_URL!, expirationMs: 3600_000, partBytes: 1000 });
    try {
      const data = jsonl(200);
      const id = await created(data.length, small);
      await small.write(Readable.from(Array.from({ length: Math.ceil(data.length / 333) }, (_, c) => data.subarray(c * 333, (c + 1) * 333))), id, 0);
      const parts = await getDb().uploadPart.findMany({ where: { uploadId: id }, orderBy: { offset: 'asc' }, select: { offset: true } });
      expect(parts.length).toBeGreaterThan(2);
      await getDb().uploadPart.deleteMany({ where: { uploadId: id, offset: parts[1]!.offset } });
      const before = await getDb().dataset.count({ where: { projectId: user.project.id } });
      await expect(small.finish({ id, tenant, maxBytes: 1 << 20, filename: 'x.jsonl' })).rejects.toThrow(`misses the bytes from ${parts[1]!.offset}`);
      expect(await getDb().dataset.count({ where: { projectId: user.project.id } })).toBe(before);
      expect(await getDb().uploadSession.count({ where: { id, datasetId: null } })).toBe(1);
    } finally {
      await small.close();
    }
  });

  it('keeps the bytes that arrived before a request broke', async () => {
    const id = await created(1000);
    const broken = new Readable({ read() {} });
    broken.push(Buffer.alloc(300, 0x61));
    setImmediate(() => broken.destroy(new Error('connection reset')));
    await expect(one.write(broken, id, 0)).rejects.toThrow('connection reset');
    expect((await two.getUpload(id)).offset).toBe(300);
    // The offset covers bytes that are in the upload's file, whatever happens to this process now.
    const [part] = await getDb().uploadPart.findMany({ where: { uploadId: id } });
    expect([Number(part!.offset), part!.length]).toEqual([0, 300]);
    expect((await readFile(path.join(process.env.LATHE_DATA_DIR!, 'uploads', id, part!.file!))).subarray(0, 300)).toEqual(Buffer.alloc(300, 0x61));
  });

  it('turns a complete upload into one dataset however many requests on however many processes finish it at once', async () => {
    const data = jsonl(300);
    const id = await created(data.length);
    await one.write(Readable.from([data]), id, 0);
    const before = await getDb().dataset.count({ where: { projectId: user.project.id } });
    const finish = (store: UploadStore) => store.finish({ id, tenant, maxBytes: 1 << 20, filename: 'x.jsonl' });
    const ids = await Promise.all([finish(one), finish(two), finish(one), finish(two)]);
    expect(new Set(ids).size).toBe(1);
    expect(await getDb().dataset.count({ where: { projectId: user.project.id } })).toBe(before + 1);
    const dataset = await getDb().dataset.findUniqueOrThrow({ where: { id: ids[0]! } });
    expect(dataset.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    await expect(two.getUpload(id)).rejects.toBe(ERRORS.FILE_NOT_FOUND);
    expect(await getDb().uploadPart.count({ where: { uploadId: id } })).toBe(0);
  });

  it('drops an upload whose file the dataset service refuses, since sending it again changes nothing', async () => {
    const data = jsonl(10);
    const id = await created(data.length);
    await one.write(Readable.from([data]), id, 0);
    const error = await two.finish({ id, tenant, maxBytes: 1 << 20, filename: 'x.jsonl', expectedSha256: 'a'.repeat(64) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LatheError);
    expect((error as LatheError).details.reason).toBe('checksum_mismatch');
    expect(await getDb().uploadSession.count({ where: { id } })).toBe(0);
  });

  it('keeps the bytes in files with only offsets and lengths in PostgreSQL, and removes the files with the upload', async () => {
    const data = jsonl(40);
    const id = await created(data.length);
    await one.write(Readable.from([data.subarray(0, 500)]), id, 0);
    await two.write(Readable.from([data.subarray(500)]), id, 500);
    const parts = await getDb().uploadPart.findMany({ where: { uploadId: id }, orderBy: { offset: 'asc' } });
    expect(parts.map((p) => [Number(p.offset), p.length, p.data])).toEqual([
      [0, 500, null],
      [500, data.length - 500, null],
    ]);
    const directory = path.join(process.env.LATHE_DATA_DIR!, 'uploads', id);
    expect((await readdir(directory)).sort()).toEqual(parts.map((p) => p.file).sort());
    expect(Buffer.concat(await Promise.all(parts.map((p) => readFile(path.join(directory, p.file!)))))).toEqual(data);
    await two.remove(id);
    await expect(readdir(directory)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('ignores the file of a part that a killed process left unrecorded, and resumes at the recorded offset', async () => {
    const data = jsonl(60);
    const id = await created(data.length);
    await one.write(Readable.from([data.subarray(0, 400)]), id, 0);
    // A process died while receiving the next part: its file is there, half written, never recorded.
    const directory = path.join(process.env.LATHE_DATA_DIR!, 'uploads', id);
    await writeFile(path.join(directory, '400-deadbeef0000.part'), Buffer.alloc(250, 0x7a));
    expect((await two.getUpload(id)).offset).toBe(400);
    expect(await two.write(Readable.from([data.subarray(400)]), id, 400)).toBe(data.length);
    const datasetId = await one.finish({ id, tenant, maxBytes: 1 << 20, filename: 'x.jsonl' });
    const dataset = await getDb().dataset.findUniqueOrThrow({ where: { id: datasetId } });
    expect(dataset.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    await expect(readdir(directory)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses to finish an upload whose part file was cut short, before making anything of it', async () => {
    const data = jsonl(30);
    const id = await created(data.length);
    await one.write(Readable.from([data.subarray(0, 300)]), id, 0);
    await one.write(Readable.from([data.subarray(300)]), id, 300);
    const second = await getDb().uploadPart.findUniqueOrThrow({ where: { uploadId_offset: { uploadId: id, offset: 300n } } });
    await truncate(path.join(process.env.LATHE_DATA_DIR!, 'uploads', id, second.file!), 10);
    const before = await getDb().dataset.count({ where: { projectId: user.project.id } });
    await expect(two.finish({ id, tenant, maxBytes: 1 << 20, filename: 'x.jsonl' })).rejects.toThrow('misses the bytes from 300');
    expect(await getDb().dataset.count({ where: { projectId: user.project.id } })).toBe(before);
  });

  it('removes unfinished uploads past their expiry, and only those', async () => {
    const expiring = storeOn(60_000);
    const old = new Upload({ id: randomBytes(16).toString('hex'), size: 10, offset: 0, metadata: {}, creation_date: new Date(Date.now() - 120_000).toISOString() });
    await expiring.create(old);
    const fresh = await created(10, expiring);
    await expiring.write(Readable.from([Buffer.from('{"a":1}\n')]), old.id, 0);
    expect(await expiring.deleteExpired()).toBeGreaterThanOrEqual(1);
    await expect(readdir(path.join(process.env.LATHE_DATA_DIR!, 'uploads', old.id))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(expiring.getUpload(old.id)).rejects.toBe(ERRORS.FILE_NOT_FOUND);
    expect((await expiring.getUpload(fresh)).offset).toBe(0);
  });
});
