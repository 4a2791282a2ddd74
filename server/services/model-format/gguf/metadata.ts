import { GgufValueType } from './constants';

export type GgufScalar = number | bigint | boolean | string;
export interface GgufArraySummary {
  arrayType: GgufValueType;
  length: number;
}
export type GgufValue = GgufScalar | GgufScalar[] | GgufArraySummary;

export interface GgufMetadataEntry {
  key: string;
  type: GgufValueType;
  value: GgufScalar | GgufScalar[];
  arrayType?: GgufValueType;
}

/** An ordered GGUF key/value list with typed setters; a key set twice keeps its first position. */
export class GgufMetadata {
  private readonly entries = new Map<string, GgufMetadataEntry>();

  set(key: string, type: GgufValueType, value: GgufScalar | GgufScalar[], arrayType?: GgufValueType): this {
    this.entries.set(key, { key, type, value, arrayType });
    return this;
  }

  string(key: string, value: string): this {
    return this.set(key, GgufValueType.STRING, value);
  }
  u32(key: string, value: number): this {
    return this.set(key, GgufValueType.UINT32, value);
  }
  i32(key: string, value: number): this {
    return this.set(key, GgufValueType.INT32, value);
  }
  f32(key: string, value: number): this {
    return this.set(key, GgufValueType.FLOAT32, value);
  }
  bool(key: string, value: boolean): this {
    return this.set(key, GgufValueType.BOOL, value);
  }
  u64(key: string, value: number | bigint): this {
    return this.set(key, GgufValueType.UINT64, value);
  }
  strings(key: string, values: string[]): this {
    return this.set(key, GgufValueType.ARRAY, values, GgufValueType.STRING);
  }
  f32s(key: string, values: number[]): this {
    return this.set(key, GgufValueType.ARRAY, values, GgufValueType.FLOAT32);
  }
  i32s(key: string, values: number[]): this {
    return this.set(key, GgufValueType.ARRAY, values, GgufValueType.INT32);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }
  get(key: string): GgufMetadataEntry | undefined {
    return this.entries.get(key);
  }
  delete(key: string): boolean {
    return this.entries.delete(key);
  }
  list(): GgufMetadataEntry[] {
    return [...this.entries.values()];
  }
}
