import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ModelError } from '../errors';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufValueType, ggmlTensorBytes, ggmlTypeName, type GgmlTypeName } from './constants';
import type { GgufScalar, GgufValue } from './metadata';

export interface GgufTensorInfo {
  name: string;
  ne: number[];
  type: GgmlTypeName;
  /** Offset relative to the start of the data section. */
  offset: number;
  byteLength: number;
}

export interface GgufHeader {
  file: string;
  version: number;
  fileSize: number;
  alignment: number;
  dataOffset: number;
  metadata: Record<string, GgufValue>;
  tensors: GgufTensorInfo[];
}

export interface ReadGgufHeaderOptions {
  /** Arrays longer than this (the token list, the merges) are kept as {arrayType, length} only. */
  keepArraysUpTo?: number;
}

const MAX_DIMS = 4;

class Corrupt extends Error {}

class FileCursor {
  private buffer = Buffer.alloc(0);
  private bufferStart = 0;
  position = 0;

  constructor(private readonly handle: FileHandle, readonly size: number) {}

  private async need(n: number): Promise<Buffer> {
    if (n > this.size - this.position) throw new Corrupt(`needs ${n} bytes at offset ${this.position} but the file ends at ${this.size}`);
    const startInBuffer = this.position - this.bufferStart;
    if (startInBuffer < 0 || startInBuffer + n > this.buffer.length) {
      const length = Math.min(Math.max(n, 1 << 20), this.size - this.position);
      const buffer = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await this.handle.read(buffer, done, length - done, this.position + done);
        if (bytesRead === 0) throw new Corrupt(`unexpected end of file at ${this.position + done}`);
        done += bytesRead;
      }
      this.buffer = buffer;
      this.bufferStart = this.position;
    }
    const at = this.position - this.bufferStart;
    this.position += n;
    return this.buffer.subarray(at, at + n);
  }

  async u8() { return (await this.need(1)).readUInt8(0); }
  async i8() { return (await this.need(1)).readInt8(0); }
  async u16() { return (await this.need(2)).readUInt16LE(0); }
  async i16() { return (await this.need(2)).readInt16LE(0); }
  async u32() { return (await this.need(4)).readUInt32LE(0); }
  async i32() { return (await this.need(4)).readInt32LE(0); }
  async f32() { return (await this.need(4)).readFloatLE(0); }
  async f64() { return (await this.need(8)).readDoubleLE(0); }
  async u64(): Promise<bigint> { return (await this.need(8)).readBigUInt64LE(0); }
  async i64(): Promise<bigint> { return (await this.need(8)).readBigInt64LE(0); }
  async count(what: string): Promise<number> {
    const v = await this.u64();
    if (v > BigInt(this.size)) throw new Corrupt(`${what} ${v} exceeds the file size`);
    return Number(v);
  }
  async str(): Promise<string> {
    const length = await this.count('string length');
    return (await this.need(length)).toString('utf8');
  }
}

async function readScalar(cur: FileCursor, type: GgufValueType): Promise<GgufScalar> {
  switch (type) {
    case GgufValueType.UINT8: return cur.u8();
    case GgufValueType.INT8: return cur.i8();
    case GgufValueType.UINT16: return cur.u16();
    case GgufValueType.INT16: return cur.i16();
    case GgufValueType.UINT32: return cur.u32();
    case GgufValueType.INT32: return cur.i32();
    case GgufValueType.FLOAT32: return cur.f32();
    case GgufValueType.FLOAT64: return cur.f64();
    case GgufValueType.BOOL: {
      const b = await cur.u8();
      if (b > 1) throw new Corrupt(`invalid bool value ${b}`);
      return b === 1;
    }
    case GgufValueType.STRING: return cur.str();
    case GgufValueType.UINT64: {
      const v = await cur.u64();
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    case GgufValueType.INT64: {
      const v = await cur.i64();
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
    }
    default:
      throw new Corrupt(`unknown metadata value type ${type}`);
  }
}

/** Reads and validates a GGUF file's header, metadata and tensor table without loading tensor data. */
export async function readGgufHeader(file: string, options: ReadGgufHeaderOptions = {}): Promise<GgufHeader> {
  const keepArraysUpTo = options.keepArraysUpTo ?? Infinity;
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const cur = new FileCursor(handle, size);
    try {
      if (size < 24) throw new Corrupt(`file is only ${size} bytes`);
      if ((await cur.u32()) !== GGUF_MAGIC) throw new Corrupt('missing GGUF magic');
      const version = await cur.u32();
      if (version !== 2 && version !== 3) throw new Corrupt(`unsupported GGUF version ${version}`);
      const tensorCount = await cur.count('tensor count');
      const kvCount = await cur.count('metadata count');
      const metadata: Record<string, GgufValue> = {};
      for (let i = 0; i < kvCount; i++) {
        const key = await cur.str();
        const type = (await cur.u32()) as GgufValueType;
        if (type === GgufValueType.ARRAY) {
          const arrayType = (await cur.u32()) as GgufValueType;
          if (arrayType === GgufValueType.ARRAY) throw new Corrupt(`nested arrays are not supported (${key})`);
          const length = await cur.count(`array length of ${key}`);
          const keep = length <= keepArraysUpTo;
          const values: GgufScalar[] = [];
          for (let j = 0; j < length; j++) {
            const v = await readScalar(cur, arrayType);
            if (keep) values.push(v);
          }
          metadata[key] = keep ? values : { arrayType, length };
        } else {
          metadata[key] = await readScalar(cur, type);
        }
      }
      const alignmentValue = metadata['general.alignment'];
      const alignment = typeof alignmentValue === 'number' ? alignmentValue : GGUF_DEFAULT_ALIGNMENT;
      if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) throw new Corrupt(`invalid alignment ${alignment}`);

      const tensors: GgufTensorInfo[] = [];
      const names = new Set<string>();
      for (let i = 0; i < tensorCount; i++) {
        const name = await cur.str();
        if (names.has(name)) throw new Corrupt(`duplicate tensor ${name}`);
        names.add(name);
        const nDims = await cur.u32();
        if (nDims < 1 || nDims > MAX_DIMS) throw new Corrupt(`tensor ${name} has ${nDims} dimensions`);
        const ne: number[] = [];
        for (let d = 0; d < nDims; d++) ne.push(await cur.count(`dimension of ${name}`));
        const typeId = await cur.u32();
        const type = ggmlTypeName(typeId);
        if (!type) throw new Corrupt(`tensor ${name} has unknown ggml type ${typeId}`);
        const offset = await cur.count(`offset of ${name}`);
        if (offset % alignment !== 0) throw new Corrupt(`tensor ${name} offset ${offset} is not aligned to ${alignment}`);
        let byteLength: number;
        try {
          byteLength = ggmlTensorBytes(type, ne);
        } catch (error) {
          throw new Corrupt(`tensor ${name}: ${(error as Error).message}`);
        }
        tensors.push({ name, ne, type, offset, byteLength });
      }
      const dataOffset = Math.ceil(cur.position / alignment) * alignment;
      for (const t of tensors) {
        if (dataOffset + t.offset + t.byteLength > size) {
          throw new Corrupt(`tensor ${t.name} ends at byte ${dataOffset + t.offset + t.byteLength}, past the end of the ${size}-byte file (truncated?)`);
        }
      }
      return { file, version, fileSize: size, alignment, dataOffset, metadata, tensors };
    } catch (error) {
      if (error instanceof Corrupt) {
        throw new ModelError('corrupt_gguf', `${path.basename(file)} is not a valid GGUF file: ${error.message}`, { file });
      }
      throw error;
    }
  } finally {
    await handle.close();
  }
}

export interface GgufSummary {
  architecture: string;
  name?: string;
  type: 'model' | 'adapter';
  contextLength?: number;
  parameterCount: number;
  fileType?: number;
  vocabSize?: number;
  hasChatTemplate: boolean;
  chatTemplate?: string;
  license?: string;
  tokenizerModel?: string;
  sizeBytes: number;
}

/** What the model registry shows for a GGUF (used to validate a ready GGUF upload before listing it). */
export async function inspectGguf(file: string): Promise<GgufSummary> {
  const header = await readGgufHeader(file, { keepArraysUpTo: 64 });
  const meta = header.metadata;
  const arch = meta['general.architecture'];
  if (typeof arch !== 'string' || !arch) {
    throw new ModelError('corrupt_gguf', `${path.basename(file)} has no general.architecture`, { file });
  }
  const num = (key: string) => (typeof meta[key] === 'number' ? (meta[key] as number) : undefined);
  const str = (key: string) => (typeof meta[key] === 'string' ? (meta[key] as string) : undefined);
  const tokens = meta['tokenizer.ggml.tokens'];
  const vocabSize = num(`${arch}.vocab_size`) ?? (Array.isArray(tokens) ? tokens.length : (tokens as { length?: number } | undefined)?.length);
  const chatTemplate = str('tokenizer.chat_template');
  return {
    architecture: arch,
    name: str('general.name'),
    type: str('general.type') === 'adapter' ? 'adapter' : 'model',
    contextLength: num(`${arch}.context_length`),
    parameterCount: header.tensors.reduce((sum, t) => sum + t.ne.reduce((a, b) => a * b, 1), 0),
    fileType: num('general.file_type'),
    vocabSize,
    hasChatTemplate: Boolean(chatTemplate),
    chatTemplate,
    license: str('general.license'),
    tokenizerModel: str('tokenizer.ggml.model'),
    sizeBytes: header.fileSize,
  };
}
