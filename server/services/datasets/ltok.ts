import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import { DatasetError } from './dataset-error';

/*
 * The tokenized dataset format shared with the trainer (.ltok), little-endian throughout:
 *   header (16 bytes): ASCII "LATHETOK", u32 version = 1, u32 reserved = 0
 *   then per example: u32 n (>= 1), n x u32 token ids, n x u8 loss mask (1 = trained target),
 *   then 0-3 zero bytes so the next record starts 4-byte aligned.
 */
export const LTOK_MAGIC = 'LATHETOK';
export const LTOK_VERSION = 1;
export const LTOK_HEADER_BYTES = 16;

const BUFFER_BYTES = 4 << 20;
const LITTLE_ENDIAN = endianness() === 'LE';

export function ltokRecordBytes(tokens: number): number {
  return 4 + tokens * 5 + ((4 - (tokens % 4)) % 4);
}

/**
 * Streams records into a temporary file beside the target and publishes it with a rename only
 * when `commit` is called, so a reader never sees a partial file.
 */
export class LtokWriter {
  private buffer = Buffer.alloc(BUFFER_BYTES);
  private used = 0;
  private written = 0;
  records = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly tempPath: string,
    readonly finalPath: string,
  ) {}

  static async create(finalPath: string): Promise<LtokWriter> {
    const tempPath = path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(tempPath, 'wx');
    const writer = new LtokWriter(handle, tempPath, finalPath);
    writer.buffer.write(LTOK_MAGIC, 0, 'ascii');
    writer.buffer.writeUInt32LE(LTOK_VERSION, 8);
    writer.buffer.writeUInt32LE(0, 12);
    writer.used = LTOK_HEADER_BYTES;
    return writer;
  }

  /** Bytes in the file once committed. */
  get bytes(): number {
    return this.written + this.used;
  }

  async write(ids: ArrayLike<number>, mask: ArrayLike<number>): Promise<void> {
    const n = ids.length;
    if (n < 1 || mask.length !== n) throw new RangeError(`A record needs n >= 1 ids and as many mask bytes (got ${n} and ${mask.length}).`);
    const size = ltokRecordBytes(n);
    if (this.used + size > this.buffer.length) {
      await this.flush();
      if (size > this.buffer.length) this.buffer = Buffer.alloc(size);
    }
    const b = this.buffer;
    let at = this.used;
    b.writeUInt32LE(n, at);
    at += 4;
    if (LITTLE_ENDIAN) {
      // Records start 4-byte aligned, so the ids can go through a 32-bit view of the buffer.
      const words = new Uint32Array(b.buffer, b.byteOffset + at, n);
      for (let i = 0; i < n; i++) words[i] = ids[i]!;
      at += 4 * n;
    } else {
      for (let i = 0; i < n; i++, at += 4) b.writeUInt32LE(ids[i]!, at);
    }
    for (let i = 0; i < n; i++) b[at++] = mask[i]! ? 1 : 0;
    const end = this.used + size;
    b.fill(0, at, end);
    this.used = end;
    this.records++;
  }

  private async flush(): Promise<void> {
    let offset = 0;
    while (offset < this.used) {
      const { bytesWritten } = await this.handle.write(this.buffer, offset, this.used - offset);
      offset += bytesWritten;
    }
    this.written += this.used;
    this.used = 0;
  }

  /** Flushes, syncs, checks the file reads back whole, and renames it into place. */
  async commit(): Promise<void> {
    try {
      await this.flush();
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
    const index = await scanLtok(this.tempPath);
    if (index.records !== this.records || index.bytes !== this.written) {
      await rm(this.tempPath, { force: true });
      throw new DatasetError('ltok_corrupt', `${this.tempPath} read back as ${index.records} records, ${this.records} were written.`);
    }
    await rename(this.tempPath, this.finalPath);
  }

  /** Drops the temporary file; the target path is left as it was. */
  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }
}

export interface LtokIndex {
  records: number;
  bytes: number;
  /** Byte offset of each record. */
  offsets: number[];
  /** Token count of each record. */
  lengths: number[];
}

/** Scans a .ltok file once; a bad header, a truncated or misaligned record is an error naming the byte offset. */
export async function readLtokIndex(file: string): Promise<LtokIndex> {
  const offsets: number[] = [];
  const lengths: number[] = [];
  const { records, bytes } = await scanLtok(file, (offset, tokens) => {
    offsets.push(offset);
    lengths.push(tokens);
  });
  return { records, bytes, offsets, lengths };
}

/** Walks the record headers with large sequential reads; memory stays at one read buffer. */
export async function scanLtok(
  file: string,
  onRecord?: (offset: number, tokens: number) => void,
): Promise<{ records: number; bytes: number }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const window = Buffer.alloc(Math.min(BUFFER_BYTES, Math.max(size, LTOK_HEADER_BYTES)));
    let windowStart = 0;
    let windowBytes = 0;
    const readAt = async (position: number) => {
      windowStart = position;
      windowBytes = (await handle.read(window, 0, window.length, position)).bytesRead;
    };
    await readAt(0);
    if (size < LTOK_HEADER_BYTES || window.toString('ascii', 0, 8) !== LTOK_MAGIC) {
      throw new DatasetError('ltok_corrupt', `${file}: byte 0: not a .ltok file (no LATHETOK header).`);
    }
    const version = window.readUInt32LE(8);
    if (version !== LTOK_VERSION) throw new DatasetError('ltok_corrupt', `${file}: byte 8: unsupported version ${version}.`);
    let records = 0;
    let at = LTOK_HEADER_BYTES;
    while (at < size) {
      if (at % 4 !== 0) throw new DatasetError('ltok_corrupt', `${file}: byte ${at}: record is not 4-byte aligned.`);
      if (at + 4 > size) throw new DatasetError('ltok_corrupt', `${file}: byte ${at}: truncated record header.`);
      if (at + 4 > windowStart + windowBytes) await readAt(at);
      const n = window.readUInt32LE(at - windowStart);
      if (n < 1) throw new DatasetError('ltok_corrupt', `${file}: byte ${at}: record with 0 tokens.`);
      const next = at + ltokRecordBytes(n);
      if (next > size) {
        throw new DatasetError('ltok_corrupt', `${file}: byte ${at}: record of ${n} tokens runs past the end of the file (${size} bytes).`);
      }
      onRecord?.(at, n);
      records++;
      at = next;
    }
    return { records, bytes: size };
  } finally {
    await handle.close();
  }
}

/** Reads one record found by readLtokIndex. */
export async function readLtokRecord(file: string, offset: number): Promise<{ ids: Uint32Array; mask: Uint8Array }> {
  const handle = await open(file, 'r');
  try {
    const word = Buffer.alloc(4);
    await handle.read(word, 0, 4, offset);
    const n = word.readUInt32LE(0);
    const body = Buffer.alloc(n * 5);
    const { bytesRead } = await handle.read(body, 0, body.length, offset + 4);
    if (bytesRead !== body.length) throw new DatasetError('ltok_corrupt', `${file}: byte ${offset}: truncated record.`);
    const ids = new Uint32Array(n);
    for (let i = 0; i < n; i++) ids[i] = body.readUInt32LE(i * 4);
    return { ids, mask: Uint8Array.from(body.subarray(n * 4)) };
  } finally {
    await handle.close();
  }
}
