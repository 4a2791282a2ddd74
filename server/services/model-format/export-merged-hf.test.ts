import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeAdapterToHf } from './export-merged-hf';
import { Checkpoint } from './safetensors';
import { writeRandomAdapter, writeRandomModel } from '../../../tests/kit/models/random-model';
import { referenceLogits } from '../../../tests/kit/models/reference-llama';

let root: string;
const TOKENS = [5, 120, 300, 42, 7, 250, 33];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lathe-merge-hf-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function maxAbsDiff(a: number[][], b: number[][]): number {
  let max = 0;
  a.forEach((row, i) => row.forEach((v, j) => (max = Math.max(max, Math.abs(v - b[i]![j]!)))));
  return max;
}

describe('mergeAdapterToHf', () => {
  it('writes a Hugging Face folder whose forward pass equals the base with the adapter', async () => {
    const base = await writeRandomModel({ dir: path.join(root, 'base'), std: 0.1, seed: 5 });
    const adapter = await writeRandomAdapter({ dir: path.join(root, 'adapter'), base, r: 4, alpha: 8 });
    const outDir = path.join(root, 'merged');
    const result = await mergeAdapterToHf({ modelDir: base.dir, adapterDir: adapter.dir, outDir });
    expect(result.files).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']));
    expect(result.mergedTensors).toBeGreaterThan(0);
    const merged = await referenceLogits(outDir, TOKENS);
    const expected = await referenceLogits(base.dir, TOKENS, adapter.dir);
    const unmerged = await referenceLogits(base.dir, TOKENS);
    expect(maxAbsDiff(merged, expected)).toBeLessThan(1e-4);
    // The adapter does change the model: the comparison above is not between two copies of the base.
    expect(maxAbsDiff(unmerged, expected)).toBeGreaterThan(1e-3);
    expect(await readFile(path.join(outDir, 'config.json'), 'utf8')).toBe(await readFile(path.join(base.dir, 'config.json'), 'utf8'));
    const checkpoint = await Checkpoint.open(outDir);
    const original = await Checkpoint.open(base.dir);
    expect([...checkpoint.tensors.keys()].sort()).toEqual([...original.tensors.keys()].sort());
    await checkpoint.close();
    await original.close();
  });

  it('keeps a half-precision base in half precision', async () => {
    const base = await writeRandomModel({ dir: path.join(root, 'base-f16'), std: 0.1, seed: 6, dtype: 'BF16' });
    const adapter = await writeRandomAdapter({ dir: path.join(root, 'adapter-f16'), base, r: 4, alpha: 8 });
    const outDir = path.join(root, 'merged-f16');
    await mergeAdapterToHf({ modelDir: base.dir, adapterDir: adapter.dir, outDir });
    const checkpoint = await Checkpoint.open(outDir);
    expect(new Set([...checkpoint.tensors.values()].map((t) => t.dtype))).toEqual(new Set(['BF16']));
    await checkpoint.close();
    expect(maxAbsDiff(await referenceLogits(outDir, TOKENS), await referenceLogits(base.dir, TOKENS, adapter.dir))).toBeLessThan(0.05);
  });

  it('refuses an adapter that does not fit and leaves nothing behind', async () => {
    const base = await writeRandomModel({ dir: path.join(root, 'base-small'), std: 0.1, seed: 7 });
    const other = await writeRandomModel({ dir: path.join(root, 'base-wide'), std: 0.1, seed: 8, hiddenSize: 96, numHeads: 4 });
    const adapter = await writeRandomAdapter({ dir: path.join(root, 'adapter-wide'), base: other, r: 4, alpha: 8 });
    const outDir = path.join(root, 'merged-bad');
    await expect(mergeAdapterToHf({ modelDir: base.dir, adapterDir: adapter.dir, outDir })).rejects.toMatchObject({ code: 'shape_mismatch' });
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(root)).filter((name) => name.startsWith('merged-bad'))).toEqual([]);
  });
});
