export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** ggml tensor types: [id, elements per block, bytes per block]. Ids absent here were removed from ggml. */
export const GGML_TYPES = {
  F32: [0, 1, 4],
  F16: [1, 1, 2],
  Q4_0: [2, 32, 18],
  Q4_1: [3, 32, 20],
  Q5_0: [6, 32, 22],
  Q5_1: [7, 32, 24],
  Q8_0: [8, 32, 34],
  Q8_1: [9, 32, 36],
  Q2_K: [10, 256, 84],
  Q3_K: [11, 256, 110],
  Q4_K: [12, 256, 144],
  Q5_K: [13, 256, 176],
  Q6_K: [14, 256, 210],
  Q8_K: [15, 256, 292],
  IQ2_XXS: [16, 256, 66],
  IQ2_XS: [17, 256, 74],
  IQ3_XXS: [18, 256, 98],
  IQ1_S: [19, 256, 50],
  IQ4_NL: [20, 32, 18],
  IQ3_S: [21, 256, 110],
  IQ2_S: [22, 256, 82],
  IQ4_XS: [23, 256, 136],
  I8: [24, 1, 1],
  I16: [25, 1, 2],
  I32: [26, 1, 4],
  I64: [27, 1, 8],
  F64: [28, 1, 8],
  IQ1_M: [29, 256, 56],
  BF16: [30, 1, 2],
  TQ1_0: [34, 256, 54],
  TQ2_0: [35, 256, 66],
  MXFP4: [39, 32, 17],
} as const satisfies Record<string, readonly [number, number, number]>;

export type GgmlTypeName = keyof typeof GGML_TYPES;

const BY_ID = new Map<number, GgmlTypeName>(Object.entries(GGML_TYPES).map(([name, [id]]) => [id, name as GgmlTypeName]));

export function ggmlTypeName(id: number): GgmlTypeName | undefined {
  return BY_ID.get(id);
}

export function ggmlTypeId(name: GgmlTypeName): number {
  return GGML_TYPES[name][0];
}

/** Bytes a tensor of this type and ggml shape (ne, innermost first) occupies; throws if ne[0] splits a block. */
export function ggmlTensorBytes(type: GgmlTypeName, ne: readonly number[]): number {
  const [, blockSize, blockBytes] = GGML_TYPES[type];
  const first = ne[0] ?? 1;
  if (first % blockSize !== 0) throw new RangeError(`${type} needs the first dimension to be a multiple of ${blockSize}, got ${first}`);
  const elements = ne.reduce((a, b) => a * b, 1);
  return (elements / blockSize) * blockBytes;
}

/** llama.cpp's general.file_type values for the types this writer produces. */
export const LLAMA_FILE_TYPE = { F32: 0, F16: 1, Q8_0: 7 } as const;
