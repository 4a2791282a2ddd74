// Writes a copy of a GGUF with edited metadata, for tests that need files llama.cpp chokes on.
// The reader keeps values, not their GGUF types, so the types are inferred the way our exporter
// writes them (floats for epsilons, bases and scales, u32 for other numbers).
import { readFile } from 'node:fs/promises';
import { readGgufHeader } from '../../../server/services/model-format/gguf/gguf-reader';
import { GgufMetadata, type GgufScalar } from '../../../server/services/model-format/gguf/metadata';
import { GgufWriter } from '../../../server/services/model-format/gguf/gguf-writer';

const FLOAT_KEY = /epsilon|freq_base|scale|alpha|factor/;

export async function editGgufMetadata(source: string, target: string, edit: (metadata: Map<string, GgufScalar | GgufScalar[]>) => void): Promise<void> {
  const header = await readGgufHeader(source);
  const values = new Map<string, GgufScalar | GgufScalar[]>();
  for (const [key, value] of Object.entries(header.metadata)) {
    if (typeof value === 'object' && !Array.isArray(value)) throw new Error(`${key}: array summaries cannot be copied`);
    values.set(key, value);
  }
  edit(values);
  const metadata = new GgufMetadata();
  for (const [key, value] of values) {
    if (typeof value === 'string') metadata.string(key, value);
    else if (typeof value === 'boolean') metadata.bool(key, value);
    else if (typeof value === 'number') metadata[FLOAT_KEY.test(key) || !Number.isInteger(value) ? 'f32' : 'u32'](key, value);
    else if (typeof value === 'bigint') metadata.u64(key, value);
    else if (key === 'tokenizer.ggml.token_type') metadata.i32s(key, value as number[]);
    else if (typeof value[0] === 'number') metadata.f32s(key, value as number[]);
    else metadata.strings(key, value as string[]);
  }
  const raw = await readFile(source);
  const writer = await GgufWriter.create(target, { metadata, tensors: header.tensors.map((t) => ({ name: t.name, ne: t.ne, type: t.type })) });
  for (const t of header.tensors) await writer.write(t.name, raw.subarray(header.dataOffset + t.offset, header.dataOffset + t.offset + t.byteLength));
  await writer.finish();
}
