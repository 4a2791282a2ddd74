// The tus data store of dataset uploads. Its state is in PostgreSQL so that any web process can
// take any request of an upload: metadata and offset are an UploadSession row, each stored piece an
// UploadPart row with its offset and length. The bytes themselves are files under the data
// directory (`<LATHE_DATA_DIR>/uploads/<upload id>/`), one file per request, written as they arrive:
// a part is a stretch of its request's file, complete and synced before the statement that records
// it moves the offset, guarded by the offset it started from. The offset never covers bytes that are
// not on disk, and of two processes writing the same upload at once only one succeeds (the other
// deletes its file unless part of it is recorded). A request that carries the whole file hashes it
// as it arrives, so finishing links that file into the artifact store without reading or copying
// it; an upload that arrived in several requests is hashed and copied when it finishes. Finishing
// holds an advisory lock on the upload, so a final request repeated on another process waits for
// the first and answers with the same dataset. The web processes of one installation share the
// data directory, as they share the local artifact store.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { DataStore, ERRORS, Upload } from '@tus/server';
import type { Db } from '@/server/db';
import type { TenantContext } from '@/server/db/tenant';
import { LatheError } from '@/server/services/errors';
import { createDataset, type CreateDatasetOptions } from './create-dataset';
import { hashFile } from '@/server/services/artifacts/digest';
import { dataDir } from './config';

/**
 * Bytes per stored part: each is synced and recorded while the next arrives. A request that breaks
 * keeps what it received; a process that dies loses at most the part it was receiving.
 */
const PART_BYTES = 8 * 1024 * 1024;
/** Bytes handed to the file in one write (a socket delivers 16-64 KiB at a time). */
const WRITE_BYTES = 1024 * 1024;
/** At most this many chunks per write, however small the socket's pieces. */
const WRITE_CHUNKS = 256;
/** Digests of whole-file requests a process keeps until their upload is finished. */
const DIGESTS_KEPT = 1000;
/** How long a finished upload still answers a repeated final request with its dataset. */
const FINISHED_KEPT_MS = 10 * 60_000;
const STORE_PART = `
  WITH moved AS (
    UPDATE "UploadSession" SET "offset" = $3 WHERE id = $1 AND "offset" = $2 AND "datasetId" IS NULL RETURNING id
  )
  INSERT INTO "UploadPart" ("uploadId", "offset", "length", "file") SELECT id, $2, $4, $5 FROM moved`;
/** Upload ids become directory names: only what the tus server generates is accepted. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** One recorded part: `length` bytes at `position` of its file (or, for old uploads, in its row). */
type StoredPart = { offset: number; length: number; file: string | null; position: number };
/** The file one request wrote from the upload's first byte, and the SHA-256 of those bytes. */
type WholeFile = { file: string; size: number; sha256: string };

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
  private readonly wholeFiles = new Map<string, WholeFile>();

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
    // Only a request from the first byte sees the whole upload; after a resume, finishing hashes it.
    const hash = offset === 0 ? createHash('sha256') : null;
    let handle: FileHandle | null = null;
    let file = '';
    let received = offset;
    let queued = offset;
    let sealQueued = offset;
    let sealed = offset;
    let batch: Buffer[] = [];
    // Writes run in order while the next bytes arrive; so do seals (sync, then record).
    let writing: Promise<void> = Promise.resolve();
    let sealing: Promise<void> = Promise.resolve();

    const writeBatch = () => {
      if (!handle || queued === received) return;
      const [target, chunks, position] = [handle, batch, queued - offset];
      batch = [];
      queued = received;
      writing = writing.then(() => writeAll(target, chunks, position));
      // A failure is seen by the next wait; it must not go unhandled meanwhile.
      writing.catch(() => undefined);
    };
    const seal = () => {
      writeBatch();
      if (!handle || sealQueued === queued) return;
      const [target, start, end] = [handle, sealQueued, queued];
      sealQueued = end;
      sealing = Promise.all([sealing, writing]).then(async () => {
        await target.sync();
        const stored = await this.db.$executeRawUnsafe(STORE_PART, id, start, end, end - start, file);
        if (stored !== 1) throw ERRORS.INVALID_OFFSET;
        sealed = end;
      });
      sealing.catch(() => undefined);
    };

    try {
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          if (!handle) {
            // Made here, not before reading starts: a stream that breaks meanwhile would drop what it holds.
            await mkdir(directory, { recursive: true });
            file = `${offset}-${randomBytes(6).toString('hex')}.part`;
            handle = await open(path.join(directory, file), 'wx');
          }
          hash?.update(chunk);
          batch.push(chunk);
          received += chunk.length;
          if (received - queued >= WRITE_BYTES || batch.length >= WRITE_CHUNKS) {
            await writing;
            writeBatch();
          }
          if (received - sealQueued >= partBytes) {
            await sealing;
            seal();
          }
        }
      } catch (error) {
        // What arrived before the request broke is kept, so the client resumes after it.
        await sealing.then(seal, () => undefined);
        await sealing.catch(() => undefined);
        throw error;
      }
      await sealing;
      seal();
      await sealing;
    } finally {
      await writing.catch(() => undefined);
      await (handle as FileHandle | null)?.close().catch(() => undefined);
      // A file no part names is nobody's; one with recorded parts stays until the upload goes.
      if (handle && sealed === offset) await unlink(path.join(directory, file)).catch(() => undefined);
    }
    if (hash && sealed > 0) this.rememberWholeFile(id, { file, size: sealed, sha256: hash.digest('hex') });
    return sealed;
  }

  private rememberWholeFile(id: string, whole: WholeFile) {
    this.wholeFiles.delete(id);
    this.wholeFiles.set(id, whole);
    for (const old of this.wholeFiles.keys()) {
      if (this.wholeFiles.size <= DIGESTS_KEPT) break;
      this.wholeFiles.delete(old);
    }
  }

  override async remove(id: string): Promise<void> {
    const { count } = await this.db.uploadSession.deleteMany({ where: { id } });
    if (count === 0) throw ERRORS.FILE_NOT_FOUND;
    this.wholeFiles.delete(id);
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
    for (const id of ids) this.wholeFiles.delete(id);
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
      const size = Number(row.size);
      try {
        const source = await this.sourceOf(id, size);
        const dataset = await createDataset({ tenant, source, filename, name, expectedSha256, maxBytes });
        await this.db.$transaction([
          this.db.uploadSession.update({ where: { id }, data: { datasetId: dataset.id, finishedAt: new Date() } }),
          this.db.uploadPart.deleteMany({ where: { uploadId: id } }),
        ]);
        this.wholeFiles.delete(id);
        await rm(this.directoryOf(id), { recursive: true, force: true });
        return dataset.id;
      } catch (error) {
        if (error instanceof LatheError && error.code === 'BAD_REQUEST') {
          this.wholeFiles.delete(id);
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
   * What the dataset is made from. An upload whose parts are all in one file is that file, hashed
   * as it arrived when one request carried it all, else hashed where it lies; that file is complete
   * and no request writes to it again. Parts in several files are streamed one after another.
   */
  private async sourceOf(id: string, size: number): Promise<CreateDatasetOptions['source']> {
    const directory = this.directoryOf(id);
    const parts = await this.partsOf(id, size);
    const file = parts[0]?.file;
    if (file && parts.every((part) => part.file === file) && (await stat(path.join(directory, file))).size === size) {
      const known = this.wholeFiles.get(id);
      const content = known?.file === file && known.size === size ? known : await hashFile(path.join(directory, file));
      return { hashedFile: path.join(directory, file), sha256: content.sha256, size };
    }
    const db = this.db;
    async function* bytes() {
      for (const part of parts) {
        if (part.file) {
          yield* createReadStream(path.join(directory, part.file), { start: part.position, end: part.position + part.length - 1, highWaterMark: 1024 * 1024 });
        } else {
          // A part stored before parts moved to files.
          const row = await db.uploadPart.findUniqueOrThrow({ where: { uploadId_offset: { uploadId: id, offset: BigInt(part.offset) } }, select: { data: true } });
          yield Buffer.from(row.data ?? new Uint8Array());
        }
      }
    }
    return { stream: Readable.from(bytes(), { objectMode: false }), size };
  }

  /**
   * The parts that make up the upload's `size` bytes, in order. Every part is checked, so a gap (a
   * part missing, or its file missing or short) fails before the first byte is read. A part's place
   * in its file follows from the file's first part, which starts it.
   */
  private async partsOf(id: string, size: number): Promise<StoredPart[]> {
    const directory = this.directoryOf(id);
    const index = await this.db.uploadPart.findMany({ where: { uploadId: id }, orderBy: { offset: 'asc' }, select: { offset: true, length: true, file: true } });
    const fileStarts = new Map<string, number>();
    const fileSizes = new Map<string, number>();
    let expected = 0;
    const parts: StoredPart[] = [];
    for (const part of index) {
      const offset = Number(part.offset);
      if (offset !== expected || expected >= size) break;
      if (part.file && !fileStarts.has(part.file)) fileStarts.set(part.file, offset);
      const position = part.file ? offset - fileStarts.get(part.file)! : 0;
      if (part.file && !fileSizes.has(part.file)) fileSizes.set(part.file, await stat(path.join(directory, part.file)).then((s) => s.size, () => -1));
      const onDisk = part.file ? fileSizes.get(part.file)! : part.length;
      if (onDisk < position + part.length) break;
      parts.push({ offset, length: part.length, file: part.file, position });
      expected += part.length;
    }
    if (expected < size) throw new Error(`upload ${id} misses the bytes from ${expected}`);
    return parts;
  }
}

/** Writes the chunks at `position` (a file handle's write may take less than it is given). */
async function writeAll(handle: FileHandle, chunks: Buffer[], position: number) {
  let buffers = chunks;
  let at = position;
  while (buffers.length > 0) {
    let { bytesWritten } = await handle.writev(buffers, at);
    at += bytesWritten;
    while (buffers.length > 0 && bytesWritten >= buffers[0]!.length) {
      bytesWritten -= buffers[0]!.length;
      buffers = buffers.slice(1);
    }
    if (bytesWritten > 0) buffers = [buffers[0]!.subarray(bytesWritten), ...buffers.slice(1)];
  }
}
