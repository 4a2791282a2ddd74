// The tus data store of dataset uploads, in PostgreSQL so that any web process can take any request
// of an upload: its metadata and offset are an UploadSession row, its bytes UploadPart rows. Each
// part moves the offset in the statement that stores it, guarded by the offset it started from,
// so two processes writing the same upload at once cannot both succeed. Finishing holds an
// advisory lock on the upload, so a final request repeated on another process waits for the first
// and answers with the same dataset.
//
// The bytes take the shortest path: parts are written through a pg pool of the store's own as
// binary parameters (no text encoding of bytea, no ORM copy), one statement per part, while the
// next part is already being received. The column is stored
// uncompressed (migration upload_part_storage), and a finished upload streams from its parts
// straight into the artifact store, which hashes it on the way: no assembled copy on disk.
import { Readable } from 'node:stream';
import pg from 'pg';
import { DataStore, ERRORS, Upload } from '@tus/server';
import type { Db } from '@/server/db';
import type { TenantContext } from '@/server/db/tenant';
import { logger } from '@/server/logger';
import { LatheError } from '@/server/services/errors';
import { createDataset } from './create-dataset';

/**
 * Bytes buffered per stored part: the SDK's chunk size, so one PATCH is one row. A request holds at
 * most two parts in memory (one being stored, one arriving), and a broken request loses at most the
 * part it was receiving.
 */
const PART_BYTES = 8 * 1024 * 1024;
/** Parts read at once while a finished upload streams into the artifact store (memory: this many parts). */
const READS_AHEAD = 3;
/** How long a finished upload still answers a repeated final request with its dataset. */
const FINISHED_KEPT_MS = 10 * 60_000;
const STORE_PART = `
  WITH moved AS (
    UPDATE "UploadSession" SET "offset" = $3 WHERE id = $1 AND "offset" = $2 AND "datasetId" IS NULL RETURNING id
  )
  INSERT INTO "UploadPart" ("uploadId", "offset", data) SELECT id, $2, $4 FROM moved`;

export type UploadStoreOptions = {
  db: () => Db;
  databaseUrl: () => string;
  expirationMs: number;
  /** Bytes per stored part (PART_BYTES unless a test wants many small ones). */
  partBytes?: number;
};

export class PostgresUploadStore extends DataStore {
  private pool: pg.Pool | undefined;

  constructor(private readonly options: UploadStoreOptions) {
    super();
    this.extensions = ['creation', 'creation-with-upload', 'creation-defer-length', 'termination', 'expiration'];
  }

  private get db(): Db {
    return this.options.db();
  }

  /** The store's own connections for the bytes; idle ones close, so an idle process holds none. */
  private get bytes(): pg.Pool {
    if (!this.pool) {
      this.pool = new pg.Pool({ connectionString: this.options.databaseUrl(), max: 4, idleTimeoutMillis: 10_000, allowExitOnIdle: true });
      // An idle connection the server closed is dropped by the pool; it must not end the process.
      this.pool.on('error', (error) => logger.warn({ err: error }, 'an idle upload store connection failed'));
    }
    return this.pool;
  }

  /** Closes the store's connections (tests and scripts; a web process keeps its store). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
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
    const partBytes = this.options.partBytes ?? PART_BYTES;
    let at = offset;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    // The part being stored while the next one arrives; parts are stored one after another, in order.
    let storing: Promise<void> = Promise.resolve();
    const store = async (data: Buffer) => {
      const stored = await this.bytes.query(STORE_PART, [id, at, at + data.length, data]);
      if (stored.rowCount !== 1) throw ERRORS.INVALID_OFFSET;
      at += data.length;
    };
    const flush = async () => {
      await storing;
      if (pendingBytes === 0) return;
      const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      storing = store(data);
      // A failure is seen by the next flush; it must not go unhandled meanwhile.
      storing.catch(() => undefined);
    };
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= partBytes) await flush();
      }
    } catch (error) {
      // What arrived before the request broke is kept, so the client resumes after it.
      await flush().catch(() => undefined);
      await storing.catch(() => undefined);
      throw error;
    }
    await flush();
    await storing;
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
    try {
      await lock.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`lathe-upload:${id}`]);
      const row = await this.db.uploadSession.findUnique({ where: { id }, select: { size: true, offset: true, datasetId: true } });
      if (!row) throw ERRORS.FILE_NOT_FOUND;
      if (row.datasetId) return row.datasetId;
      if (row.size === null || row.offset !== row.size) throw ERRORS.INVALID_OFFSET;
      try {
        const dataset = await createDataset({ tenant, source: { stream: this.partsOf(id, Number(row.size)), size: Number(row.size) }, filename, name, expectedSha256, maxBytes });
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
      await lock.end().catch(() => undefined);
    }
  }

  /**
   * The upload's `size` bytes, part after part, as one stream, which fails before its first byte if
   * the parts leave a gap. Up to READS_AHEAD parts are being read at once (each by its own
   * PostgreSQL backend), so reading overlaps with hashing and writing what has arrived.
   */
  private partsOf(id: string, size: number): Readable {
    const pool = this.bytes;
    // base64 is a third larger than the bytes on the wire, hex (bytea's text form) twice.
    const partAt = (offset: number) =>
      pool.query<{ data: string }>(`SELECT encode(data, 'base64') AS data FROM "UploadPart" WHERE "uploadId" = $1 AND "offset" = $2`, [id, offset]);
    async function* parts() {
      // The length of an uncompressed value is read from its pointer, not its bytes: this is cheap.
      const { rows: index } = await pool.query<{ offset: string; length: number }>(
        `SELECT "offset", length(data) AS length FROM "UploadPart" WHERE "uploadId" = $1 ORDER BY "offset"`,
        [id],
      );
      let expected = 0;
      for (const part of index) {
        if (Number(part.offset) !== expected) break;
        expected += part.length;
      }
      if (expected < size) throw new Error(`upload ${id} misses the bytes from ${expected}`);
      const offsets = index.map((part) => Number(part.offset)).filter((offset) => offset < size);
      const reads = offsets.slice(0, READS_AHEAD).map(partAt);
      for (let i = 0; i < offsets.length; i++) {
        const next = offsets[i + READS_AHEAD];
        if (next !== undefined) reads.push(partAt(next));
        // Later reads are awaited (and thrown) in turn; they must not go unhandled meanwhile.
        for (const read of reads.slice(i + 1)) read.catch(() => undefined);
        const { rows } = await reads[i]!;
        reads[i] = undefined as never;
        yield Buffer.from(rows[0]!.data, 'base64');
      }
    }
    return Readable.from(parts(), { objectMode: false, highWaterMark: 1 });
  }
}
