import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ModelError } from './errors';
import { bf16ToF32, f16ToF32 } from './numeric';

export const SAFETENSORS_DTYPE_SIZE = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
} as const;
export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPE_SIZE;
export const FLOAT_DTYPES: readonly SafetensorsDtype[] = ['F32', 'F16', 'BF16'];

// The reference implementation refuses headers above 100 MB; a larger one means a corrupt length.
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsTensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte offset of the tensor's data in `file`. */
  byteOffset: number;
  byteLength: number;
  file: string;
}

function corrupt(file: string, reason: string): ModelError {
  return new ModelError('corrupt_safetensors', `${path.basename(file)} is not a valid safetensors file: ${reason}`, { file });
}

function isDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.hasOwn(SAFETENSORS_DTYPE_SIZE, value);
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

async function readExactly(handle: FileHandle, file: string, length: number, position: number): Promise<Buffer> {
  // Unpooled so that typed-array views over it are always aligned.
  const buffer = Buffer.allocUnsafeSlow(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw corrupt(file, `unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
  return buffer;
}

/** One .safetensors file: the header is parsed and validated up front, tensor data is read on demand. */
export class SafetensorsFile {
  private constructor(
    readonly file: string,
    readonly fileSize: number,
    readonly tensors: Map<string, SafetensorsTensorInfo>,
    readonly metadata: Record<string, string>,
    private readonly handle: FileHandle,
  ) {}

  static async open(file: string): Promise<SafetensorsFile> {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      if (size < 8) throw corrupt(file, `file is ${size} bytes, shorter than the 8-byte header length`);
      const headerLength = Number((await readExactly(handle, file, 8, 0)).readBigUInt64LE(0));
      if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
        throw corrupt(file, `header length ${headerLength} does not fit a ${size}-byte file`);
      }
      const headerBytes = await readExactly(handle, file, headerLength, 8);
      let header: unknown;
      try {
        header = JSON.parse(headerBytes.toString('utf8'));
      } catch (error) {
        throw corrupt(file, `header is not JSON (${(error as Error).message})`);
      }
      if (typeof header !== 'object' || header === null || Array.isArray(header)) throw corrupt(file, 'header is not a JSON object');
      const dataStart = 8 + headerLength;
      const { tensors, metadata } = parseHeader(file, header as Record<string, unknown>, dataStart, size - dataStart);
      return new SafetensorsFile(file, size, tensors, metadata, handle);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async readBytes(info: SafetensorsTensorInfo, start = 0, end = info.byteLength): Promise<Buffer> {
    return readExactly(this.handle, this.file, end - start, info.byteOffset + start);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

function parseHeader(file: string, header: Record<string, unknown>, dataStart: number, dataLength: number) {
  const tensors = new Map<string, SafetensorsTensorInfo>();
  let metadata: Record<string, string> = {};
  const spans: Array<[number, number, string]> = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw corrupt(file, '__metadata__ is not an object');
      metadata = Object.fromEntries(Object.entries(entry).map(([k, v]) => [k, String(v)]));
      continue;
    }
    if (typeof entry !== 'object' || entry === null) throw corrupt(file, `entry for ${name} is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (!isDtype(dtype)) throw corrupt(file, `tensor ${name} has unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw corrupt(file, `tensor ${name} has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw corrupt(file, `tensor ${name} has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin || end > dataLength) {
      throw corrupt(file, `tensor ${name} data_offsets [${begin}, ${end}] fall outside the ${dataLength} data bytes`);
    }
    const expected = numel(shape as number[]) * SAFETENSORS_DTYPE_SIZE[dtype];
    if (end - begin !== expected) {
      throw corrupt(file, `tensor ${name} spans ${end - begin} bytes but ${dtype}${JSON.stringify(shape)} needs ${expected}`);
    }
    spans.push([begin, end, name]);
    tensors.set(name, { name, dtype, shape: shape as number[], byteOffset: dataStart + begin, byteLength: end - begin, file });
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1]!;
    const cur = spans[i]!;
    if (cur[0] < prev[1]) throw corrupt(file, `tensors ${prev[2]} and ${cur[2]} overlap`);
  }
  return { tensors, metadata };
}

/** Converts raw little-endian tensor bytes to float32. Integer and 8-bit float dtypes are refused. */
export function toFloat32(dtype: SafetensorsDtype, bytes: Uint8Array, name = 'tensor'): Float32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  switch (dtype) {
    case 'F32':
      return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
    case 'F16': {
      const out = new Float32Array(aligned.byteLength / 2);
      f16ToF32(new Uint16Array(aligned.buffer, aligned.byteOffset, out.length), out);
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(aligned.byteLength / 2);
      bf16ToF32(new Uint16Array(aligned.buffer, aligned.byteOffset, out.length), out);
      return out;
    }
    case 'F64': {
      const src = new Float64Array(new Uint8Array(aligned).buffer);
      return Float32Array.from(src);
    }
    default:
      throw new ModelError('unsupported_dtype', `${name} is stored as ${dtype}; only F32, F16, BF16 and F64 weights can be converted`, { name, dtype });
  }
}

/**
 * A Hugging Face checkpoint: one model.safetensors or shards listed in model.safetensors.index.json
 * (or any single file named explicitly, such as adapter_model.safetensors).
 */
export class Checkpoint {
  private constructor(
    readonly dir: string,
    readonly files: SafetensorsFile[],
    readonly tensors: Map<string, SafetensorsTensorInfo>,
  ) {}

  static async open(dir: string, options: { fileName?: string } = {}): Promise<Checkpoint> {
    const names = await resolveCheckpointFiles(dir, options.fileName);
    const files: SafetensorsFile[] = [];
    try {
      for (const name of names.files) files.push(await SafetensorsFile.open(path.join(dir, name)));
      const tensors = new Map<string, SafetensorsTensorInfo>();
      for (const file of files) {
        for (const [name, info] of file.tensors) {
          if (tensors.has(name)) throw corrupt(file.file, `tensor ${name} also appears in ${path.basename(tensors.get(name)!.file)}`);
          tensors.set(name, info);
        }
      }
      for (const [name, shard] of Object.entries(names.weightMap ?? {})) {
        const info = tensors.get(name);
        if (!info || path.basename(info.file) !== shard) {
          throw corrupt(path.join(dir, shard), `the index lists ${name} in ${shard} but that shard does not hold it`);
        }
      }
      return new Checkpoint(dir, files, tensors);
    } catch (error) {
      await Promise.all(files.map((f) => f.close()));
      throw error;
    }
  }

  get(name: string): SafetensorsTensorInfo | undefined {
    return this.tensors.get(name);
  }

  require(name: string): SafetensorsTensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new ModelError('shape_mismatch', `checkpoint in ${this.dir} has no tensor ${name}`, { tensor: name });
    return info;
  }

  private fileOf(info: SafetensorsTensorInfo): SafetensorsFile {
    return this.files.find((f) => f.file === info.file)!;
  }

  async readRaw(name: string): Promise<Buffer> {
    const info = this.require(name);
    return this.fileOf(info).readBytes(info);
  }

  /** Raw bytes of rows [rowStart, rowEnd) along the first dimension; a 1-D tensor has one value per row. */
  async readRowsRaw(name: string, rowStart = 0, rowEnd?: number): Promise<Buffer> {
    const info = this.require(name);
    const rowElems = info.shape.length <= 1 ? 1 : numel(info.shape.slice(1));
    const rows = info.shape.length === 0 ? 1 : info.shape[0]!;
    const end = rowEnd ?? rows;
    if (rowStart < 0 || end > rows || rowStart > end) throw new RangeError(`rows [${rowStart}, ${end}) out of range for ${name}`);
    const size = SAFETENSORS_DTYPE_SIZE[info.dtype];
    return this.fileOf(info).readBytes(info, rowStart * rowElems * size, end * rowElems * size);
  }

  /** Rows [rowStart, rowEnd) along the first dimension as float32. */
  async readRowsF32(name: string, rowStart = 0, rowEnd?: number): Promise<Float32Array> {
    return toFloat32(this.require(name).dtype, await this.readRowsRaw(name, rowStart, rowEnd), name);
  }

  async readF32(name: string): Promise<Float32Array> {
    return this.readRowsF32(name);
  }

  parameterCount(): number {
    let total = 0;
    for (const info of this.tensors.values()) total += numel(info.shape);
    return total;
  }

  async close(): Promise<void> {
    await Promise.all(this.files.map((f) => f.close()));
  }
}

export async function openCheckpoint(dir: string, options: { fileName?: string } = {}): Promise<Checkpoint> {
  return Checkpoint.open(dir, options);
}

async function resolveCheckpointFiles(dir: string, fileName?: string): Promise<{ files: string[]; weightMap?: Record<string, string> }> {
  if (fileName) {
    if (!existsSync(path.join(dir, fileName))) throw new ModelError('missing_weights', `${fileName} not found in ${dir}`, { dir });
    return { files: [fileName] };
  }
  const indexPath = path.join(dir, 'model.safetensors.index.json');
  if (existsSync(indexPath)) {
    let index: unknown;
    try {
      index = JSON.parse(await readFile(indexPath, 'utf8'));
    } catch (error) {
      throw corrupt(indexPath, `index is not JSON (${(error as Error).message})`);
    }
    const weightMap = (index as { weight_map?: unknown })?.weight_map;
    if (typeof weightMap !== 'object' || weightMap === null) throw corrupt(indexPath, 'index has no weight_map');
    const entries = Object.entries(weightMap as Record<string, unknown>);
    if (!entries.every(([, v]) => typeof v === 'string' && !v.includes('/') && !v.includes('\\'))) {
      throw corrupt(indexPath, 'weight_map values must be shard file names');
    }
    const files = [...new Set(entries.map(([, v]) => v as string))].sort();
    const missing = files.filter((f) => !existsSync(path.join(dir, f)));
    if (missing.length) throw new ModelError('missing_weights', `shards listed in the index are missing: ${missing.join(', ')}`, { dir, missing });
    return { files, weightMap: weightMap as Record<string, string> };
  }
  if (existsSync(path.join(dir, 'model.safetensors'))) return { files: ['model.safetensors'] };
  throw new ModelError('missing_weights', `no model.safetensors or model.safetensors.index.json in ${dir}`, { dir });
}

export interface SafetensorsWriteTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** The raw little-endian bytes, or a function producing them when the writer reaches this tensor. */
  data: Uint8Array | (() => Uint8Array | Promise<Uint8Array>);
}

/**
 * Writes a safetensors file one tensor at a time (only the header is built up front), under a
 * temporary name that is renamed into place once everything is on disk.
 */
export async function writeSafetensors(file: string, tensors: SafetensorsWriteTensor[], options: { metadata?: Record<string, string> } = {}): Promise<void> {
  const header: Record<string, unknown> = {};
  if (options.metadata) header.__metadata__ = options.metadata;
  let offset = 0;
  for (const t of tensors) {
    const length = numel(t.shape) * SAFETENSORS_DTYPE_SIZE[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + length] };
    offset += length;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));

  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(tmp, 'w');
  try {
    await handle.write(prefix);
    await handle.write(json);
    for (const t of tensors) {
      const data = typeof t.data === 'function' ? await t.data() : t.data;
      const expected = numel(t.shape) * SAFETENSORS_DTYPE_SIZE[t.dtype];
      if (data.byteLength !== expected) throw new RangeError(`tensor ${t.name}: ${data.byteLength} bytes given, ${expected} expected`);
      await handle.write(data);
    }
    await handle.sync();
    await handle.close();
    await rename(tmp, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw error;
  }
}

export function float32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
