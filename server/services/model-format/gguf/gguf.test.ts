import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halfToFloat } from '../numeric';
import { GgufValueType, ggmlTensorBytes } from './constants';
import { inspectGguf, readGgufHeader } from './gguf-reader';
import { GgufWriter, tensorTypeFor } from './gguf-writer';
import { GgufMetadata } from './metadata';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lathe-gguf-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sampleMetadata(): GgufMetadata {
  return new GgufMetadata()
    .string('general.architecture', 'llama')
    .string('general.name', 'tést ✓')
    .u32('llama.context_length', 4096)
    .f32('llama.rope.freq_base', 500000)
    .bool('tokenizer.ggml.add_bos_token', true)
    .u64('general.big', 2n ** 40n)
    .strings('tokenizer.ggml.tokens', ['a', 'b', 'ünï'])
    .i32s('tokenizer.ggml.token_type', [1, 1, 3])
    .f32s('tokenizer.ggml.scores', [0, -1.5, -1000])
    .string('tokenizer.chat_template', '{{ messages }}');
}

describe('GGUF writer and reader', () => {
  it('round-trips metadata and tensors of every writable type, aligned', async () => {
    const file = path.join(dir, 'roundtrip.gguf');
    const values = Float32Array.from({ length: 64 }, (_, i) => (i - 32) / 8);
    const writer = await GgufWriter.create(file, {
      metadata: sampleMetadata(),
      tensors: [
        { name: 'a.weight', ne: [64], type: 'F32' },
        { name: 'b.weight', ne: [32, 2], type: 'F16' },
        { name: 'c.weight', ne: [32, 2], type: 'Q8_0' },
      ],
    });
    await writer.writeFloats('a.weight', values.subarray(0, 40));
    await writer.writeFloats('a.weight', values.subarray(40));
    await writer.writeFloats('b.weight', values);
    await writer.writeFloats('c.weight', values);
    await expect(writer.writeFloats('d.weight', values)).rejects.toThrow(/expected no more tensors/);
    const { bytes } = await writer.finish();

    const header = await readGgufHeader(file);
    expect(header.version).toBe(3);
    expect(header.fileSize).toBe(bytes);
    expect(header.metadata['general.name']).toBe('tést ✓');
    expect(header.metadata['llama.context_length']).toBe(4096);
    expect(header.metadata['llama.rope.freq_base']).toBe(500000);
    expect(header.metadata['tokenizer.ggml.add_bos_token']).toBe(true);
    expect(header.metadata['general.big']).toBe(2 ** 40);
    expect(header.metadata['tokenizer.ggml.tokens']).toEqual(['a', 'b', 'ünï']);
    expect(header.metadata['tokenizer.ggml.scores']).toEqual([0, -1.5, -1000]);
    expect(header.tensors.map((t) => [t.name, t.type, t.ne, t.offset])).toEqual([
      ['a.weight', 'F32', [64], 0],
      ['b.weight', 'F16', [32, 2], 256],
      ['c.weight', 'Q8_0', [32, 2], 384],
    ]);
    expect(header.dataOffset % 32).toBe(0);

    const raw = await readFile(file);
    const a = new Float32Array(raw.buffer.slice(raw.byteOffset + header.dataOffset, raw.byteOffset + header.dataOffset + 256));
    expect(Array.from(a)).toEqual(Array.from(values));
    const b = raw.subarray(header.dataOffset + 256);
    expect(halfToFloat(b.readUInt16LE(2 * 5))).toBe(values[5]);

    const small = await readGgufHeader(file, { keepArraysUpTo: 2 });
    expect(small.metadata['tokenizer.ggml.tokens']).toEqual({ arrayType: GgufValueType.STRING, length: 3 });
  });

  it('summarises a GGUF for the registry', async () => {
    const file = path.join(dir, 'summary.gguf');
    const writer = await GgufWriter.create(file, { metadata: sampleMetadata(), tensors: [{ name: 'w', ne: [32, 4], type: 'F16' }] });
    await writer.writeFloats('w', new Float32Array(128));
    await writer.finish();
    expect(await inspectGguf(file)).toMatchObject({
      architecture: 'llama',
      type: 'model',
      contextLength: 4096,
      parameterCount: 128,
      vocabSize: 3,
      hasChatTemplate: true,
      tokenizerModel: undefined,
    });
  });

  it('publishes nothing when aborted or finished early', async () => {
    const file = path.join(dir, 'partial.gguf');
    const writer = await GgufWriter.create(file, { metadata: sampleMetadata(), tensors: [{ name: 'w', ne: [8], type: 'F32' }] });
    await writer.writeFloats('w', new Float32Array(4));
    await expect(writer.finish()).rejects.toThrow(/incomplete/);
    await writer.abort();
    expect((await readdir(dir)).filter((f) => f.startsWith('partial'))).toEqual([]);
  });

  it('rejects truncated, foreign and malformed files with corrupt_gguf', async () => {
    const good = path.join(dir, 'good.gguf');
    const writer = await GgufWriter.create(good, { metadata: sampleMetadata(), tensors: [{ name: 'w', ne: [1024], type: 'F32' }] });
    await writer.writeFloats('w', new Float32Array(1024));
    await writer.finish();
    const bytes = await readFile(good);

    const truncated = path.join(dir, 'truncated.gguf');
    await writeFile(truncated, bytes.subarray(0, bytes.length - 100));
    await expect(readGgufHeader(truncated)).rejects.toMatchObject({ code: 'corrupt_gguf', message: expect.stringMatching(/past the end/) });

    const foreign = path.join(dir, 'foreign.gguf');
    await writeFile(foreign, Buffer.concat([Buffer.from('PK\x03\x04'), bytes.subarray(4)]));
    await expect(readGgufHeader(foreign)).rejects.toMatchObject({ code: 'corrupt_gguf', message: expect.stringMatching(/magic/) });

    const hugeString = Buffer.from(bytes);
    hugeString.writeBigUInt64LE(2n ** 50n, 24); // length of the first key
    const huge = path.join(dir, 'huge.gguf');
    await writeFile(huge, hugeString);
    await expect(readGgufHeader(huge)).rejects.toMatchObject({ code: 'corrupt_gguf' });

    const cut = path.join(dir, 'cut.gguf');
    await writeFile(cut, bytes.subarray(0, 60));
    await expect(readGgufHeader(cut)).rejects.toMatchObject({ code: 'corrupt_gguf' });
  });

  it('keeps norms, biases and 1-D tensors in F32 and falls back to F16 for partial Q8_0 blocks', () => {
    expect(tensorTypeFor('Q8_0', 'blk.0.attn_norm.weight', [64])).toBe('F32');
    expect(tensorTypeFor('Q8_0', 'blk.0.attn_q.bias', [64])).toBe('F32');
    expect(tensorTypeFor('Q8_0', 'blk.0.attn_q.weight', [64, 64])).toBe('Q8_0');
    expect(tensorTypeFor('Q8_0', 'blk.0.ffn_down.weight', [48, 64])).toBe('F16');
    expect(tensorTypeFor('F16', 'token_embd.weight', [64, 100])).toBe('F16');
    expect(ggmlTensorBytes('Q8_0', [64, 3])).toBe(6 * 34);
  });
});
