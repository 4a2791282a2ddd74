import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isModelError } from './errors';
import { Checkpoint, SafetensorsFile, float32Bytes, writeSafetensors } from './safetensors';
import { encodeAs } from '../../../tests/kit/models/random-model';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lathe-safetensors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: number): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerLength ?? json.length));
  return Buffer.concat([prefix, json, data]);
}

async function expectCorrupt(name: string, bytes: Buffer, message: RegExp) {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  const error = await SafetensorsFile.open(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isModelError(error, 'corrupt_safetensors'), String(error)).toBe(true);
  expect((error as Error).message).toMatch(message);
}

describe('safetensors', () => {
  it('writes and reads back every float dtype as float32', async () => {
    const values = new Float32Array([0, 1, -2, 0.5, 3.25, -0.125]);
    const file = path.join(dir, 'roundtrip.safetensors');
    await writeSafetensors(
      file,
      [
        { name: 'a', dtype: 'F32', shape: [2, 3], data: float32Bytes(values) },
        { name: 'b', dtype: 'F16', shape: [6], data: () => encodeAs('F16', values) },
        { name: 'c', dtype: 'BF16', shape: [3, 2], data: encodeAs('BF16', values) },
      ],
      { metadata: { format: 'pt' } },
    );
    const st = await SafetensorsFile.open(file);
    expect(st.metadata).toEqual({ format: 'pt' });
    expect([...st.tensors.keys()]).toEqual(['a', 'b', 'c']);
    await st.close();
    const ckpt = await Checkpoint.open(dir, { fileName: 'roundtrip.safetensors' });
    for (const name of ['a', 'b', 'c']) expect(Array.from(await ckpt.readF32(name))).toEqual(Array.from(values));
    expect(Array.from(await ckpt.readRowsF32('a', 1, 2))).toEqual([0.5, 3.25, -0.125]);
    expect(Array.from(await ckpt.readRowsF32('c', 2, 3))).toEqual([3.25, -0.125]);
    expect(ckpt.parameterCount()).toBe(18);
    await ckpt.close();
  });

  it('refuses integer weights with unsupported_dtype', async () => {
    const file = path.join(dir, 'int.safetensors');
    await writeSafetensors(file, [{ name: 'ids', dtype: 'I32', shape: [2], data: new Uint8Array(8) }]);
    const ckpt = await Checkpoint.open(dir, { fileName: 'int.safetensors' });
    await expect(ckpt.readF32('ids')).rejects.toMatchObject({ code: 'unsupported_dtype' });
    await ckpt.close();
  });

  it('rejects corrupt files with corrupt_safetensors naming the problem', async () => {
    const ok = { t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    await expectCorrupt('short', Buffer.from([1, 2, 3]), /shorter than the 8-byte header length/);
    await expectCorrupt('len', rawFile(ok, new Uint8Array(8), 10_000), /header length 10000 does not fit/);
    await expectCorrupt('json', rawFile('{"t": {"dtype": '), /header is not JSON/);
    await expectCorrupt('array', rawFile('[1,2]'), /not a JSON object/);
    await expectCorrupt('dtype', rawFile({ t: { dtype: 'F12', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8)), /unknown dtype "F12"/);
    await expectCorrupt('shape', rawFile({ t: { dtype: 'F32', shape: [-1], data_offsets: [0, 8] } }, new Uint8Array(8)), /invalid shape/);
    await expectCorrupt('range', rawFile({ t: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)), /fall outside the 8 data bytes/);
    await expectCorrupt('size', rawFile({ t: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /needs 12/);
    await expectCorrupt(
      'overlap',
      rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)),
      /a and b overlap/,
    );
  });

  it('detects a file truncated after a valid header when the data is read', async () => {
    const file = path.join(dir, 'truncated.safetensors');
    await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [1024], data: new Uint8Array(4096) }]);
    const { size } = await stat(file);
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, size - 100));
    await expect(SafetensorsFile.open(file)).rejects.toMatchObject({ code: 'corrupt_safetensors' });
  });

  it('opens sharded checkpoints through model.safetensors.index.json', async () => {
    const shardDir = await mkdtemp(path.join(dir, 'shards-'));
    await writeSafetensors(path.join(shardDir, 'model-00001-of-00002.safetensors'), [{ name: 'x', dtype: 'F32', shape: [1], data: float32Bytes(new Float32Array([7])) }]);
    await writeSafetensors(path.join(shardDir, 'model-00002-of-00002.safetensors'), [{ name: 'y', dtype: 'F32', shape: [1], data: float32Bytes(new Float32Array([9])) }]);
    const index = { weight_map: { x: 'model-00001-of-00002.safetensors', y: 'model-00002-of-00002.safetensors' } };
    await writeFile(path.join(shardDir, 'model.safetensors.index.json'), JSON.stringify(index));
    const ckpt = await Checkpoint.open(shardDir);
    expect(Array.from(await ckpt.readF32('y'))).toEqual([9]);
    await ckpt.close();

    await writeFile(path.join(shardDir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { ...index.weight_map, z: 'model-00003-of-00002.safetensors' } }));
    await expect(Checkpoint.open(shardDir)).rejects.toMatchObject({ code: 'missing_weights' });
    await writeFile(path.join(shardDir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { x: 'model-00002-of-00002.safetensors' } }));
    await expect(Checkpoint.open(shardDir)).rejects.toMatchObject({ code: 'corrupt_safetensors' });
  });

  it('leaves no partial file when a tensor cannot be produced', async () => {
    const file = path.join(dir, 'failed.safetensors');
    await expect(
      writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [4], data: new Uint8Array(8) }]),
    ).rejects.toThrow(/8 bytes given, 16 expected/);
    expect((await readdir(dir)).filter((f) => f.startsWith('failed'))).toEqual([]);
  });
});
