import { convertFloatBytes, type EncodedType } from '../numeric';
import { SAFETENSORS_DTYPE_SIZE, toFloat32, type SafetensorsDtype } from '../safetensors';
import type { GgmlTypeName } from './constants';
import { encodeFloats } from './gguf-writer';

/** One slice of a tensor to convert: raw source bytes in, encoded GGUF bytes out. */
export interface ChunkJob {
  name: string;
  dtype: SafetensorsDtype;
  raw: Uint8Array;
  rowElems: number;
  /** Reorder rows head by head for llama.cpp's RoPE (q/k of the llama graph). */
  permuteHeadRows?: number;
  outType: GgmlTypeName;
}

/**
 * Row h*hd + j*hd/2 + i moves to h*hd + 2i + j: Hugging Face's rotate_half layout of each RoPE head
 * to llama.cpp's interleaved pairs. Works on raw bytes, so it is the same for every dtype.
 */
export function permuteHeadRowBytes(src: Uint8Array, rowBytes: number, headRows: number): Uint8Array {
  const out = new Uint8Array(src.byteLength);
  const half = headRows / 2;
  const heads = src.byteLength / (rowBytes * headRows);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const from = (h * headRows + j * half + i) * rowBytes;
        out.set(src.subarray(from, from + rowBytes), (h * headRows + 2 * i + j) * rowBytes);
      }
    }
  }
  return out;
}

export function encodeChunk(job: ChunkJob): Uint8Array {
  let raw = job.raw;
  if (job.permuteHeadRows) raw = permuteHeadRowBytes(raw, job.rowElems * SAFETENSORS_DTYPE_SIZE[job.dtype], job.permuteHeadRows);
  if ((job.dtype === 'F32' || job.dtype === 'F16' || job.dtype === 'BF16') && (job.outType === 'F32' || job.outType === 'F16' || job.outType === 'Q8_0')) {
    // The slice was read (or permuted) into a buffer of its own for this job alone.
    return convertFloatBytes(job.dtype, raw, job.outType as EncodedType, { inPlace: true });
  }
  return new Uint8Array(encodeFloats(job.outType, toFloat32(job.dtype, raw, job.name)));
}
