import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { f32ToF16, quantizeQ8_0, Q8_0_BLOCK, Q8_0_BYTES } from '../numeric';
import {
  GGML_TYPES,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VERSION,
  GgufValueType,
  ggmlTensorBytes,
  ggmlTypeId,
  type GgmlTypeName,
} from './constants';
import type { GgufMetadata, GgufMetadataEntry, GgufScalar } from './metadata';

export type GgufWritableType = 'F32' | 'F16' | 'Q8_0';

export interface GgufTensorPlan {
  name: string;
  /** ggml dimension order: innermost first, i.e. the reverse of the PyTorch shape. */
  ne: number[];
  type: GgmlTypeName;
}

class ByteSink {
  private buffer = Buffer.alloc(1 << 16);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = Buffer.alloc(size);
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
  u8(v: number) { this.ensure(1); this.buffer.writeUInt8(v, this.length); this.length += 1; }
  i8(v: number) { this.ensure(1); this.buffer.writeInt8(v, this.length); this.length += 1; }
  u16(v: number) { this.ensure(2); this.buffer.writeUInt16LE(v, this.length); this.length += 2; }
  i16(v: number) { this.ensure(2); this.buffer.writeInt16LE(v, this.length); this.length += 2; }
  u32(v: number) { this.ensure(4); this.buffer.writeUInt32LE(v, this.length); this.length += 4; }
  i32(v: number) { this.ensure(4); this.buffer.writeInt32LE(v, this.length); this.length += 4; }
  f32(v: number) { this.ensure(4); this.buffer.writeFloatLE(v, this.length); this.length += 4; }
  f64(v: number) { this.ensure(8); this.buffer.writeDoubleLE(v, this.length); this.length += 8; }
  u64(v: number | bigint) { this.ensure(8); this.buffer.writeBigUInt64LE(BigInt(v), this.length); this.length += 8; }
  i64(v: number | bigint) { this.ensure(8); this.buffer.writeBigInt64LE(BigInt(v), this.length); this.length += 8; }
  str(s: string) {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.ensure(bytes.length);
    bytes.copy(this.buffer, this.length);
    this.length += bytes.length;
  }
  zeros(n: number) { this.ensure(n); this.buffer.fill(0, this.length, this.length + n); this.length += n; }
  bytes(): Buffer { return this.buffer.subarray(0, this.length); }
}

function writeScalar(sink: ByteSink, type: GgufValueType, value: GgufScalar, key: string): void {
  const num = () => {
    if (typeof value !== 'number') throw new TypeError(`GGUF key ${key}: expected a number, got ${typeof value}`);
    return value;
  };
  switch (type) {
    case GgufValueType.UINT8: return sink.u8(num());
    case GgufValueType.INT8: return sink.i8(num());
    case GgufValueType.UINT16: return sink.u16(num());
    case GgufValueType.INT16: return sink.i16(num());
    case GgufValueType.UINT32: return sink.u32(num());
    case GgufValueType.INT32: return sink.i32(num());
    case GgufValueType.FLOAT32: return sink.f32(num());
    case GgufValueType.FLOAT64: return sink.f64(num());
    case GgufValueType.UINT64: return sink.u64(value as number | bigint);
    case GgufValueType.INT64: return sink.i64(value as number | bigint);
    case GgufValueType.BOOL: return sink.u8(value ? 1 : 0);
    case GgufValueType.STRING:
      if (typeof value !== 'string') throw new TypeError(`GGUF key ${key}: expected a string`);
      return sink.str(value);
    default:
      throw new TypeError(`GGUF key ${key}: unsupported value type ${type}`);
  }
}

function writeEntry(sink: ByteSink, entry: GgufMetadataEntry): void {
  sink.str(entry.key);
  sink.u32(entry.type);
  if (entry.type === GgufValueType.ARRAY) {
    if (!Array.isArray(entry.value) || entry.arrayType === undefined) throw new TypeError(`GGUF key ${entry.key}: array needs values and an element type`);
    sink.u32(entry.arrayType);
    sink.u64(entry.value.length);
    for (const v of entry.value) writeScalar(sink, entry.arrayType, v, entry.key);
  } else {
    if (Array.isArray(entry.value)) throw new TypeError(`GGUF key ${entry.key}: scalar type given an array`);
    writeScalar(sink, entry.type, entry.value, entry.key);
  }
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

/**
 * Streams a GGUF v3 file: the header (metadata and every tensor's shape and offset) is written
 * first from the plan, then each tensor's bytes in plan order, in as many chunks as the caller
 * likes. Nothing appears under the final name until finish() has synced and renamed it.
 */
export class GgufWriter {
  private index = 0;
  private written = 0;
  private readonly sizes: number[];
  private finished = false;

  private constructor(
    readonly outFile: string,
    private readonly tmpFile: string,
    private readonly handle: FileHandle,
    readonly tensors: GgufTensorPlan[],
    private readonly alignment: number,
    readonly headerBytes: number,
  ) {
    this.sizes = tensors.map((t) => ggmlTensorBytes(t.type, t.ne));
  }

  static async create(outFile: string, options: { metadata: GgufMetadata; tensors: GgufTensorPlan[]; alignment?: number }): Promise<GgufWriter> {
    const alignment = options.alignment ?? GGUF_DEFAULT_ALIGNMENT;
    const names = new Set<string>();
    for (const t of options.tensors) {
      if (names.has(t.name)) throw new Error(`duplicate tensor name ${t.name}`);
      names.add(t.name);
    }
    const sink = new ByteSink();
    sink.u32(GGUF_MAGIC);
    sink.u32(GGUF_VERSION);
    const entries = options.metadata.list().filter((e) => e.key !== 'general.alignment');
    if (alignment !== GGUF_DEFAULT_ALIGNMENT) entries.push({ key: 'general.alignment', type: GgufValueType.UINT32, value: alignment });
    sink.u64(options.tensors.length);
    sink.u64(entries.length);
    for (const entry of entries) writeEntry(sink, entry);
    let offset = 0;
    for (const t of options.tensors) {
      sink.str(t.name);
      sink.u32(t.ne.length);
      for (const d of t.ne) sink.u64(d);
      sink.u32(ggmlTypeId(t.type));
      sink.u64(offset);
      offset = align(offset + ggmlTensorBytes(t.type, t.ne), alignment);
    }
    sink.zeros(align(sink.length, alignment) - sink.length);

    const tmpFile = `${outFile}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const handle = await open(tmpFile, 'w');
    try {
      await handle.write(sink.bytes());
    } catch (error) {
      await handle.close();
      await rm(tmpFile, { force: true });
      throw error;
    }
    return new GgufWriter(outFile, tmpFile, handle, options.tensors, alignment, sink.length);
  }

  get currentTensor(): GgufTensorPlan | undefined {
    return this.tensors[this.index];
  }

  /** Appends encoded bytes of the current tensor; moves to the next one when it is complete. */
  async write(name: string, bytes: Uint8Array): Promise<void> {
    const plan = this.tensors[this.index];
    if (!plan || plan.name !== name) throw new Error(`GGUF writer expected ${plan?.name ?? 'no more tensors'}, got ${name}`);
    const size = this.sizes[this.index]!;
    if (this.written + bytes.byteLength > size) throw new RangeError(`tensor ${name}: more than ${size} bytes written`);
    await this.handle.write(bytes);
    this.written += bytes.byteLength;
    if (this.written === size) {
      const pad = align(size, this.alignment) - size;
      if (pad) await this.handle.write(Buffer.alloc(pad));
      this.index++;
      this.written = 0;
    }
  }

  /** Encodes float32 values to the current tensor's type and appends them. */
  async writeFloats(name: string, values: Float32Array): Promise<void> {
    const plan = this.tensors[this.index];
    if (!plan || plan.name !== name) throw new Error(`GGUF writer expected ${plan?.name ?? 'no more tensors'}, got ${name}`);
    await this.write(name, encodeFloats(plan.type, values));
  }

  async finish(): Promise<{ file: string; bytes: number }> {
    if (this.index !== this.tensors.length) {
      throw new Error(`GGUF writer finished early: tensor ${this.tensors[this.index]!.name} is incomplete`);
    }
    const { size } = await this.handle.stat();
    await this.handle.sync();
    await this.handle.close();
    await rename(this.tmpFile, this.outFile);
    this.finished = true;
    return { file: this.outFile, bytes: size };
  }

  async abort(): Promise<void> {
    if (this.finished) return;
    await this.handle.close().catch(() => undefined);
    await rm(this.tmpFile, { force: true });
  }
}

export function encodeFloats(type: GgmlTypeName, values: Float32Array): Uint8Array {
  switch (type) {
    case 'F32':
      return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    case 'F16': {
      const out = new Uint16Array(values.length);
      f32ToF16(values, out);
      return new Uint8Array(out.buffer);
    }
    case 'Q8_0': {
      const out = new Uint8Array((values.length / Q8_0_BLOCK) * Q8_0_BYTES);
      quantizeQ8_0(values, out);
      return out;
    }
    default:
      throw new Error(`encoding to ${type} is not supported (only F32, F16 and Q8_0)`);
  }
}

/** The type a tensor gets in a file of `fileType`: norms, biases and 1-D tensors stay F32, Q8_0 needs whole blocks. */
export function tensorTypeFor(fileType: GgufWritableType, name: string, ne: readonly number[]): GgmlTypeName {
  if (ne.length <= 1 || name.endsWith('_norm.weight') || !/\.(weight|lora_a|lora_b)$/.test(name)) return 'F32';
  if (fileType === 'Q8_0' && (ne[0] ?? 0) % GGML_TYPES.Q8_0[1] !== 0) return 'F16';
  return fileType;
}
