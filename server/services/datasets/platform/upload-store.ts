// The tus data store of dataset uploads. Its state is in PostgreSQL so that any web process can
// take any request of an upload: metadata and offset are an UploadSession row, each stored piece an
// UploadPart row with its offset and length. The bytes themselves are files under the data
// directory (`<LATHE_DATA_DIR>/uploads/<upload id>/`), written as they arrive, so a byte is written
// once and read back once. A part's file is complete and synced before the statement that records
// it moves the offset, guarded by the offset it started from: the offset never covers bytes that are
// not on disk, and of two processes writing the same upload at once only one succeeds (the other
// deletes its file). Finishing holds an advisory lock on the upload, so a final request repeated on
// another process waits for the first and answers with the same dataset. The web processes of one
// installation share the data directory, as they share the local artifact store.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { DataStore, ERRORS, Upload } from '@tus/server';
import type { Db } from '@/server/db';
import type { TenantContext } from '@/server/db/tenant';
import { LatheError } from '@/server/services/errors';
import { createDataset } from './create-dataset';
import { dataDir } from './config';

/**
 * Bytes per stored part: the SDK's chunk size, so one PATCH is usually one part. A request that
 * breaks, or a process that dies, loses at most the part it was receiving.
 */
const PART_BYTES = 8 * 1024 * 1024;
/** How long a finished upload still answers a repeated final request with its dataset. */
const FINISHED_KEPT_MS = 10 * 60_000;
const STORE_PART = `
  WITH moved AS (
    UPDATE "UploadSession" SET "offset" = $3 WHERE id = $1 AND "offset" = $2 AND "datasetId" IS NULL RETURNING id
  )
  INSERT INTO "UploadPart" ("uploadId", "offset", "length", "file") SELECT id, $2, $4, $5 FROM moved`;
/** Upload ids become directory names: only what the tus server generates is accepted. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

type OpenPart = { handle: FileHandle; file: string; start: number; length: number };

export type UploadStoreOptions = {
  db: () => Db;
  databaseUrl: () => string;
  expirationMs: number;
  /** Where the parts' files go (`<LATHE_DATA_DIR>/uploads` unless a test or script says otherwise). */
  directory?: () => string;
  /** Bytes per stored part (PART_BYTES unless a test wants many small ones). */
  partBytes?: number;
};

export class UploadStore extends DataStore {
  constructor(private readonly options: UploadStoreOptions) {
    super();
    this.extensions = ['creation', 'creation-with-upload', 'creation-defer-length', 'termination', 'expiration'];
  }

  private get db(): Db {
    return this.options.db();
  }

  /** The directory of one upload's part files. */
  private directoryOf(id: string): string {
    if (!SAFE_ID.test(id)) throw ERRORS.FILE_NOT_FOUND;
    return path.join(this.options.directory?.() ?? path.join(dataDir(), 'uploads'), id);
  }

  /** Kept for callers that close what they open; the store holds no connections between requests. */
  async close(): Promise<void> {}

  override async create(upload: Upload): Promise<Upload> {
    this.directoryOf(upload.id);
    await this.db.uploadSession.create({
      data: {
        id: upload.id,
        size: upload.size === undefined ? null : BigInt(upload.size),
        metadata: upload.metadata ?? {},
        createdAt: upload.creation_date ? new Date(upload.creation_date) : new Date(),
      },
    });
    return upload;
  }

  override async getUpload(id: string): Promise<Upload> {
    const row = await this.db.uploadSession.findUnique({ where: { id } });
    // A finished upload is a dataset now: it is read from there.
    if (!row || row.datasetId) throw ERRORS.FILE_NOT_FOUND;
    return new Upload({
      id,
      size: row.size === null ? undefined : Number(row.size),
      offset: Number(row.offset),
      metadata: row.metadata as Record<string, string | null>,
      creation_date: row.createdAt.toISOString(),
    });
  }

  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    const partBytes = this.options.partBytes ?? PART_BYTES;
    const directory = this.directoryOf(id);
    let at = offset;
    let received = offset;
    let current: OpenPart | null = null;
    // The part being sealed while the next one arrives; parts are sealed one after another, in order.
    let sealing: Promise<void> = Promise.resolve();

    const seal = async (part: OpenPart) => {
      const target = path.join(directory, part.file);
      try {
        await part.handle.sync();
      } finally {
        await part.handle.close();
      }
      const stored = await this.db.$executeRawUnsafe(STORE_PART, id, part.start, part.start + part.length, part.length, part.file);
      if (stored !== 1) {
        await unlink(target).catch(() => undefined);
        throw ERRORS.INVALID_OFFSET;
      }
      at = part.start + part.length;
    };
    const flush = async () => {
      await sealing;
      if (!current) return;
      const part = current;
      current = null;
      sealing = seal(part);
      // A failure is seen by the next flush; it must not go unhandled meanwhile.
      sealing.catch(() => undefined);
    };
    const discard = async () => {
      if (!current) return;
      const part = current;
      current = null;
      await part.handle.close().catch(() => undefined);
      await unlink(path.join(directory, part.file)).catch(() => undefined);
    };

    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (!current) {
          // Made here, not before reading starts: a stream that breaks meanwhile would drop what it holds.
          await mkdir(directory, { recursive: true });
          const file = `${received}-${randomBytes(6).toString('hex')}.part`;
          current = { handle: await open(path.join(directory, file), 'wx'), file, start: received, length: 0 };
        }
        await writeAll(current.handle, chunk);
        current.length += chunk.length;
        received += chunk.length;
        if (current.length >= partBytes) await flush();
      }
    } catch (error) {
      // What arrived before the request broke is kept, so the client resumes after it.
      await flush().catch(() => undefined);
      await sealing.catch(() => undefined);
      await discard();
      throw error;
    }
    try {
      await flush();
      await sealing;
    } finally {
      await discard();
    }
    return at;
  }

  override async remove(id: string): Promise<void> {
    const { count } = await this.db.uploadSession.deleteMany({ where: { id } });
    if (count === 0) throw ERRORS.FILE_NOT_FOUND;
    await rm(this.directoryOf(id), { recursive: true, force: true });
  }

  override async declareUploadLength(id: string, size: number): Promise<void> {
    const { count } = await this.db.uploadSession.updateMany({ where: { id, datasetId: null }, data: { size: BigInt(size) } });
    if (count === 0) throw ERRORS.FILE_NOT_FOUND;
  }

  override async deleteExpired(): Promise<number> {
    const now = Date.now();
    const expired = await this.db.uploadSession.findMany({
      where: {
        OR: [
          { datasetId: null, createdAt: { lt: new Date(now - this.options.expirationMs) } },
          { finishedAt: { lt: new Date(now - FINISHED_KEPT_MS) } },
        ],
      },
      select: { id: true },
    });
    if (expired.length === 0) return 0;
    const ids = expired.map((row) => row.id);
    const { count } = await this.db.uploadSession.deleteMany({ where: { id: { in: ids } } });
    for (const id of ids) if (SAFE_ID.test(id)) await rm(this.directoryOf(id), { recursive: true, force: true });
    return count;
  }

  override getExpiration(): number {
    return this.options.expirationMs;
  }

  /**
   * Turns a complete upload into a dataset of `tenant` once, whichever process and however many
   * requests ask: returns the dataset's id. A file the dataset service refuses as bad is dropped,
   * since sending it again will not change the answer.
   */
  async finish({ id, tenant, maxBytes, filename, name, expectedSha256 }: { id: string; tenant: TenantContext; maxBytes: number; filename: string; name?: string; expectedSha256?: string }): Promise<string> {
    const lock = new pg.Client({ connectionString: this.options.databaseUrl() });
    await lock.connect();
    try {
      await lock.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`lathe-upload:${id}`]);
      const row = await this.db.uploadSession.findUnique({ where: { id }, select: { size: true, offset: true, datasetId: true } });
      if (!row) throw ERRORS.FILE_NOT_FOUND;
      if (row.datasetId) return row.datasetId;
      if (row.size === null || row.offset !== row.size) throw ERRORS.INVALID_OFFSET;
      try {
        const stream = await this.partsOf(id, Number(row.size));
        const dataset = await createDataset({ tenant, source: { stream, size: Number(row.size) }, filename, name, expectedSha256, maxBytes });
        await this.db.$transaction([
          this.db.uploadSession.update({ where: { id }, data: { datasetId: dataset.id, finishedAt: new Date() } }),
          this.db.uploadPart.deleteMany({ where: { uploadId: id } }),
        ]);
        await rm(this.directoryOf(id), { recursive: true, force: true });
        return dataset.id;
      } catch (error) {
        if (error instanceof LatheError && error.code === 'BAD_REQUEST') {
          await this.db.uploadSession.deleteMany({ where: { id } });
          await rm(this.directoryOf(id), { recursive: true, force: true });
        }
        throw error;
      }
    } finally {
      await lock.end().catch(() => undefined);
    }
  }

  /**
   * The upload's `size` bytes, part after part, as one stream. Every part is checked first, so a
   * gap (a part missing, or its file missing or short) fails before the first byte is read.
   */
  private async partsOf(id: string, size: number): Promise<Readable> {
    const directory = this.directoryOf(id);
    const index = await this.db.uploadPart.findMany({ where: { uploadId: id }, orderBy: { offset: 'asc' }, select: { offset: true, length: true, file: true } });
    let expected = 0;
    const parts: { offset: number; file: string | null }[] = [];
    for (const part of index) {
      const offset = Number(part.offset);
      if (offset !== expected || expected >= size) break;
      const onDisk = part.file ? await stat(path.join(directory, part.file)).then((s) => s.size, () => -1) : part.length;
      if (onDisk !== part.length) break;
      parts.push({ offset, file: part.file });
      expected += part.length;
    }
    if (expected < size) throw new Error(`upload ${id} misses the bytes from ${expected}`);
    const db = this.db;
    async function* bytes() {
      for (const part of parts) {
        if (part.file) {
          yield* createReadStream(path.join(directory, part.file), { highWaterMark: 1024 * 1024 });
        } else {
          // A part stored before parts moved to files.
          const row = await db.uploadPart.findUniqueOrThrow({ where: { uploadId_offset: { uploadId: id, offset: BigInt(part.offset) } }, select: { data: true } });
          yield Buffer.from(row.data ?? new Uint8Array());
        }
      }
    }
    return Readable.from(bytes(), { objectMode: false });
  }
}

/** Writes the whole buffer (a file handle's write may take less than it is given). */
async function writeAll(handle: FileHandle, chunk: Buffer) {
  let written = 0;
  while (written < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, written, chunk.length - written);
    written += bytesWritten;
  }
}
