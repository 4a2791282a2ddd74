// Float conversions used by the safetensors reader and the GGUF writer. Node 20 has no Float16Array,
// so half floats are handled as raw uint16 bits.

const F16_TO_F32 = buildHalfTable();

function buildHalfTable(): Float32Array {
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) table[h] = sign * mant * 2 ** -24;
    else if (exp === 0x1f) table[h] = mant ? NaN : sign * Infinity;
    else table[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return table;
}

export function halfToFloat(bits: number): number {
  return F16_TO_F32[bits & 0xffff]!;
}

/** IEEE 754 binary32 bits to binary16 bits, round to nearest even (as numpy and ggml's converters do). */
export function floatBitsToHalf(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const halfExp = exp - 112;
  if (halfExp >= 0x1f) return sign | 0x7c00;
  if (halfExp <= 0) {
    if (halfExp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - halfExp;
    let halfMant = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && halfMant & 1)) halfMant++;
    return sign | halfMant;
  }
  const halfMant = mant >>> 13;
  const rest = mant & 0x1fff;
  let out = sign | (halfExp << 10) | halfMant;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && halfMant & 1)) out++;
  return out;
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

export function floatToHalf(value: number): number {
  scratch[0] = value;
  return floatBitsToHalf(scratchBits[0]!);
}

/**
 * Bulk float32 to half conversion, round to nearest even. Normal values take a branch-light integer
 * path (bias the exponent, add the rounding increment, shift), which is about three times faster than
 * calling floatBitsToHalf per value; subnormals, overflow and NaN defer to it.
 */
export function f32ToF16(src: Float32Array, dst: Uint16Array): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const f = bits[i]!;
    const x = f & 0x7fffffff;
    if (x >= 0x38800000 && x < 0x47800000) {
      dst[i] = ((f >>> 16) & 0x8000) | ((((x + 0xc8000fff + ((x >>> 13) & 1)) | 0) >>> 13) & 0xffff);
    } else dst[i] = floatBitsToHalf(f);
  }
}

export function f16ToF32(src: Uint16Array, dst: Float32Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = F16_TO_F32[src[i]!]!;
}

export function bf16ToF32(src: Uint16Array, dst: Float32Array): void {
  const out = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i]! << 16;
}

/** Round to nearest even on the upper 16 bits, as PyTorch does when casting to bfloat16. */
export function f32ToBf16(src: Float32Array, dst: Uint16Array): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i]!;
    if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) {
      dst[i] = (x >>> 16) | 0x40;
      continue;
    }
    dst[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
  }
}

export const Q8_0_BLOCK = 32;
export const Q8_0_BYTES = 34;

/**
 * ggml's reference Q8_0: per block of 32 values a half-float scale d = max|x| / 127, then
 * 32 int8 values round(x / d), rounding halves away from zero like C's roundf.
 */
export function quantizeQ8_0(src: Float32Array, dst: Uint8Array): void {
  if (src.length % Q8_0_BLOCK !== 0) throw new RangeError(`Q8_0 needs a multiple of ${Q8_0_BLOCK} values, got ${src.length}`);
  const blocks = src.length / Q8_0_BLOCK;
  if (dst.length < blocks * Q8_0_BYTES) throw new RangeError('Q8_0 output buffer too small');
  for (let b = 0; b < blocks; b++) {
    const base = b * Q8_0_BLOCK;
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK; j++) {
      const a = Math.abs(src[base + j]!);
      if (a > amax) amax = a;
    }
    const d = Math.fround(amax / 127);
    const id = d ? Math.fround(1 / d) : 0;
    const scale = floatToHalf(d);
    const out = b * Q8_0_BYTES;
    dst[out] = scale & 0xff;
    dst[out + 1] = scale >>> 8;
    for (let j = 0; j < Q8_0_BLOCK; j++) {
      const x = Math.fround(src[base + j]! * id);
      // Branch-free round half up on a positive range (weights have random signs, so a sign
      // branch mispredicts half the time), then the rare negative tie goes away from zero.
      let q = ((x + 128.5) | 0) - 128;
      if (q - x === 0.5 && x < 0) q -= 1;
      dst[out + 2 + j] = q & 0xff;
    }
  }
}

export function dequantizeQ8_0(src: Uint8Array, dst: Float32Array): void {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const blocks = dst.length / Q8_0_BLOCK;
  for (let b = 0; b < blocks; b++) {
    const d = halfToFloat(view.getUint16(b * Q8_0_BYTES, true));
    for (let j = 0; j < Q8_0_BLOCK; j++) dst[b * Q8_0_BLOCK + j] = d * view.getInt8(b * Q8_0_BYTES + 2 + j);
  }
}

let scratch32 = new Float32Array(0);

/** A reusable float32 buffer of at least n values (one conversion runs at a time per thread). */
function scratchF32(n: number): Float32Array {
  if (scratch32.length < n) scratch32 = new Float32Array(n);
  return scratch32.subarray(0, n);
}

let bf16ToF16Table: Uint16Array | undefined;

/**
 * BF16 bits straight to half bits through a 65,536-entry table (128 KB, built on first use from
 * floatBitsToHalf, so rounding is the same): one load per value, no float32 array.
 */
export function bf16ToF16(src: Uint16Array, dst: Uint16Array): void {
  let table = bf16ToF16Table;
  if (!table) {
    table = new Uint16Array(65536);
    for (let b = 0; b < 65536; b++) table[b] = floatBitsToHalf((b << 16) >>> 0);
    bf16ToF16Table = table;
  }
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i]!]!;
}

export type RawFloatDtype = 'F32' | 'F16' | 'BF16';
export type EncodedType = 'F32' | 'F16' | 'Q8_0';

/**
 * Converts little-endian float bytes of one dtype to another GGUF encoding in one pass where it can
 * (BF16 to F16 without a float32 copy, same-type slices by plain copy), through a reused float32
 * buffer otherwise. `src` must be 2-byte aligned (4 for F32). With `inPlace` (the caller owns `src`
 * and does not read it again), BF16 to F16 overwrites `src` instead of allocating: a fresh output
 * array per slice cost more than the conversion itself.
 */
export function convertFloatBytes(dtype: RawFloatDtype, src: Uint8Array, outType: EncodedType, options: { inPlace?: boolean } = {}): Uint8Array {
  const count = src.byteLength / (dtype === 'F32' ? 4 : 2);
  if (dtype === outType) return src;
  if (outType === 'F16' && dtype === 'BF16') {
    if (options.inPlace) {
      const bits = new Uint16Array(src.buffer, src.byteOffset, count);
      bf16ToF16(bits, bits);
      return src;
    }
    const out = new Uint16Array(count);
    bf16ToF16(new Uint16Array(src.buffer, src.byteOffset, count), out);
    return new Uint8Array(out.buffer);
  }
  let values: Float32Array;
  if (dtype === 'F32') values = new Float32Array(src.buffer, src.byteOffset, count);
  else {
    values = scratchF32(count);
    const bits = new Uint16Array(src.buffer, src.byteOffset, count);
    if (dtype === 'F16') f16ToF32(bits, values);
    else bf16ToF32(bits, values);
  }
  if (outType === 'F32') return new Uint8Array(values.slice().buffer);
  if (outType === 'F16') {
    const out = new Uint16Array(count);
    f32ToF16(values, out);
    return new Uint8Array(out.buffer);
  }
  const out = new Uint8Array((count / Q8_0_BLOCK) * Q8_0_BYTES);
  quantizeQ8_0(values, out);
  return out;
}
