// The tus data store of dataset uploads, in PostgreSQL so that any web process can take any request
// of an upload: its metadata and offset are an UploadSession row, its bytes UploadPart rows. Each
// part moves the offset in the transaction that stores it, guarded by the offset it started from,
// so two processes writing the same upload at once cannot both succeed. Finishing holds an
// advisory lock on the upload, so a final request repeated on another process waits for the first
// and answers with the same dataset.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { DataStore, ERRORS, Upload } from '@tus/server';
import type { Db } from '@/server/db';
import type { TenantContext } from '@/server/db/tenant';
import { LatheError } from '@/server/services/errors';
import { createDataset } from './create-dataset';

/** Bytes buffered per stored part: memory per request in flight, and the most a broken request loses. */
const PART_BYTES = 1024 * 1024;
/** How long a finished upload still answers a repeated final request with its dataset. */
const FINISHED_KEPT_MS = 10 * 60_000;
const PARTS_PER_READ = 8;

export type UploadStoreOptions = {
  db: () => Db;
  databaseUrl: () => string;
  /** Where a finished upload is assembled into one file for the dataset service (this host's disk). */
  spoolDir: string;
  expirationMs: number;
};

export class PostgresUploadStore extends DataStore {
  constructor(private readonly options: UploadStoreOptions) {
    super();
    this.extensions = ['creation', 'creation-with-upload', 'creation-defer-length', 'termination', 'expiration'];
  }

  private get db(): Db {
    return this.options.db();
  }

  override async create(upload: Upload): Promise<Upload> {
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
    let at = offset;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await this.db.$transaction(async (tx) => {
        const moved = await tx.uploadSession.updateMany({ where: { id, offset: BigInt(at), datasetId: null }, data: { offset: BigInt(at + data.length) } });
        if (moved.count !== 1) throw ERRORS.INVALID_OFFSET;
        await tx.uploadPart.create({ data: { uploadId: id, offset: BigInt(at), data } });
      });
      at += data.length;
    };
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= PART_BYTES) await flush();
      }
    } catch (error) {
      // What arrived before the request broke is kept, so the client resumes after it.
      await flush().catch(() => undefined);
      throw error;
    }
    await flush();
    return at;
  }

  override async remove(id: string): Promise<void> {
    const { count } = await this.db.uploadSession.deleteMany({ where: { id } });
    if (count === 0) throw ERRORS.FILE_NOT_FOUND;
  }

  override async declareUploadLength(id: string, size: number): Promise<void> {
    const { count } = await this.db.uploadSession.updateMany({ where: { id, datasetId: null }, data: { size: BigInt(size) } });
    if (count === 0) throw ERRORS.FILE_NOT_FOUND;
  }

  override async deleteExpired(): Promise<number> {
    const now = Date.now();
    const { count } = await this.db.uploadSession.deleteMany({
      where: {
        OR: [
          { datasetId: null, createdAt: { lt: new Date(now - this.options.expirationMs) } },
          { finishedAt: { lt: new Date(now - FINISHED_KEPT_MS) } },
        ],
      },
    });
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
    const file = path.join(this.options.spoolDir, `${id}-${randomBytes(4).toString('hex')}`);
    try {
      await lock.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`lathe-upload:${id}`]);
      const row = await this.db.uploadSession.findUnique({ where: { id }, select: { size: true, offset: true, datasetId: true } });
      if (!row) throw ERRORS.FILE_NOT_FOUND;
      if (row.datasetId) return row.datasetId;
      if (row.size === null || row.offset !== row.size) throw ERRORS.INVALID_OFFSET;
      await this.assemble(id, file);
      try {
        const dataset = await createDataset({ tenant, source: { path: file }, filename, name, expectedSha256, maxBytes });
        await this.db.$transaction([
          this.db.uploadSession.update({ where: { id }, data: { datasetId: dataset.id, finishedAt: new Date() } }),
          this.db.uploadPart.deleteMany({ where: { uploadId: id } }),
        ]);
        return dataset.id;
      } catch (error) {
        if (error instanceof LatheError && error.code === 'BAD_REQUEST') await this.db.uploadSession.deleteMany({ where: { id } });
        throw error;
      }
    } finally {
      await rm(file, { force: true });
      await lock.end().catch(() => undefined);
    }
  }

  /** Writes the upload's parts, in order, into one file, checking that they leave no gap. */
  private async assemble(id: string, file: string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    const out = createWriteStream(file, { flags: 'wx' });
    let expected = 0n;
    try {
      for (;;) {
        const parts = await this.db.uploadPart.findMany({ where: { uploadId: id, offset: { gte: expected } }, orderBy: { offset: 'asc' }, take: PARTS_PER_READ });
        if (parts.length === 0) break;
        for (const part of parts) {
          if (part.offset !== expected) throw new Error(`upload ${id} misses bytes ${expected}-${part.offset}`);
          if (!out.write(part.data)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
          expected += BigInt(part.data.length);
        }
      }
    } finally {
      out.end();
      await finished(out);
    }
  }
}
