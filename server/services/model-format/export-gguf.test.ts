import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Tokenizer } from 'tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkGgufLoads } from './convert/check-gguf-loads';
import { evaluateGgufLogits, tokenizeWithGguf } from './convert/llama-probe';
import { runConversion } from './convert/run-conversion';
import { exportAdapterToGguf, exportModelToGguf, mergeAdapterToGguf, type ExportProgress } from './export-gguf';
import { GgufMetadata } from './gguf/metadata';
import { GgufWriter } from './gguf/gguf-writer';
import { readGgufHeader } from './gguf/gguf-reader';
import { buildSentencePieceBpe, writeRandomAdapter, writeRandomModel, type RandomModel } from '../../../tests/kit/models/random-model';
import { referenceLogits } from '../../../tests/kit/models/reference-llama';

let root: string;
let llama: RandomModel;
const TOKENS = [5, 120, 300, 42, 7, 250, 600, 33];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lathe-export-'));
  llama = await writeRandomModel({ dir: path.join(root, 'llama'), std: 0.1, seed: 3 });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function maxAbsDiff(a: number[][], b: number[][]): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  a.forEach((row, i) => {
    expect(row.length).toBe(b[i]!.length);
    row.forEach((v, j) => (max = Math.max(max, Math.abs(v - b[i]![j]!))));
  });
  return max;
}

describe('exportModelToGguf', () => {
  it('writes an F32 GGUF whose llama.cpp logits equal a reference forward pass', async () => {
    const outFile = path.join(root, 'llama-f32.gguf');
    const progress: ExportProgress[] = [];
    const result = await exportModelToGguf({ modelDir: llama.dir, outFile, type: 'F32', onProgress: (p) => progress.push(p) });
    expect(result).toMatchObject({ architecture: 'llama', type: 'F32', tensorCount: 2 + 2 * 9 + 1 });
    expect(progress.at(-1)).toMatchObject({ tensorsDone: result.tensorCount, tensorsTotal: result.tensorCount });

    const header = await readGgufHeader(outFile, { keepArraysUpTo: 1 });
    const meta = header.metadata;
    expect(meta['general.architecture']).toBe('llama');
    expect(meta['general.file_type']).toBe(0);
    expect(meta['general.license']).toBe('apache-2.0');
    expect(meta['llama.feed_forward_length']).toBe(128);
    expect(meta['llama.attention.head_count_kv']).toBe(2);
    expect(meta['tokenizer.ggml.model']).toBe('gpt2');
    expect(meta['tokenizer.ggml.pre']).toBe('gpt-2');
    expect(meta['tokenizer.ggml.merges']).toMatchObject({ length: 400 });
    expect(meta['tokenizer.ggml.tokens']).toMatchObject({ length: llama.tokenizer.vocabSize });
    expect(meta['tokenizer.ggml.eos_token_id']).toBe(llama.tokenizer.specialIds['<|im_end|>']);
    expect(meta['tokenizer.ggml.add_bos_token']).toBe(false);
    expect(String(meta['tokenizer.chat_template'])).toContain('<|im_start|>');

    const check = await checkGgufLoads({ modelGguf: outFile });
    expect(check).toMatchObject({ ok: true, architecture: 'llama', vocabularySize: llama.tokenizer.vocabSize, trainContextSize: 2048 });
    const diff = maxAbsDiff(await evaluateGgufLogits({ modelGguf: outFile, tokens: TOKENS }), await referenceLogits(llama.dir, TOKENS));
    expect(diff).toBeLessThan(1e-4);
  });

  it('writes F16 and Q8_0 files that load, are smaller and stay close to full precision', async () => {
    const reference = await referenceLogits(llama.dir, TOKENS);
    const sizes: Record<string, number> = {};
    for (const [type, tolerance] of [
      ['F16', 0.02],
      ['Q8_0', 0.1],
    ] as const) {
      const outFile = path.join(root, `llama-${type}.gguf`);
      const { bytes } = await exportModelToGguf({ modelDir: llama.dir, outFile, type });
      sizes[type] = bytes;
      const header = await readGgufHeader(outFile, { keepArraysUpTo: 1 });
      const types = Object.fromEntries(header.tensors.map((t) => [t.name, t.type]));
      expect(types['blk.0.attn_q.weight']).toBe(type);
      expect(types['blk.0.attn_norm.weight']).toBe('F32');
      const diff = maxAbsDiff(await evaluateGgufLogits({ modelGguf: outFile, tokens: TOKENS }), reference);
      expect(diff).toBeLessThan(tolerance);
    }
    expect(sizes.Q8_0!).toBeLessThan(sizes.F16!);
  });

  it('writes byte-identical files whether slices are converted on worker threads or not', async () => {
    const model = await writeRandomModel({ dir: path.join(root, 'threads'), dtype: 'BF16', seed: 8, numLayers: 3 });
    for (const type of ['F16', 'Q8_0'] as const) {
      const single = path.join(root, `threads-0-${type}.gguf`);
      const multi = path.join(root, `threads-2-${type}.gguf`);
      await exportModelToGguf({ modelDir: model.dir, outFile: single, type, threads: 0 });
      await exportModelToGguf({ modelDir: model.dir, outFile: multi, type, threads: 2 });
      expect((await readFile(multi)).equals(await readFile(single))).toBe(true);
    }
  });

  it('converts Qwen2 with q/k/v biases, tied embeddings, BF16 shards and the SmolLM pre-tokenizer', async () => {
    const qwen = await writeRandomModel({
      dir: path.join(root, 'qwen'),
      architecture: 'Qwen2ForCausalLM',
      tieWordEmbeddings: true,
      dtype: 'BF16',
      shards: 2,
      std: 0.1,
      seed: 11,
      tokenizer: { preTokenizer: 'smollm' },
    });
    const outFile = path.join(root, 'qwen.gguf');
    await exportModelToGguf({ modelDir: qwen.dir, outFile, type: 'F32' });
    const header = await readGgufHeader(outFile, { keepArraysUpTo: 1 });
    expect(header.metadata['general.architecture']).toBe('qwen2');
    expect(header.metadata['tokenizer.ggml.pre']).toBe('smollm');
    const names = header.tensors.map((t) => t.name);
    expect(names).toContain('blk.1.attn_k.bias');
    expect(names).not.toContain('output.weight');
    const diff = maxAbsDiff(await evaluateGgufLogits({ modelGguf: outFile, tokens: TOKENS }), await referenceLogits(qwen.dir, TOKENS));
    expect(diff).toBeLessThan(1e-4);

    const text = 'Prices: 12345 and 3.14, total 1,000,000 in 2024.';
    const tokenizer = Tokenizer.fromString(await readFile(path.join(qwen.dir, 'tokenizer.json'), 'utf8'));
    const expected = (await tokenizer.encode(text, null, { addSpecialTokens: false })).getIds();
    expect(await tokenizeWithGguf({ modelGguf: outFile, text })).toEqual(expected);
  });

  it('writes SentencePiece (llama) vocabularies from tokenizer.json and from tokenizer.model', async () => {
    const spm = buildSentencePieceBpe();
    const text = 'Hello world, the quick brown fox! Grüße aus Köln. Привет 你好 🦙 zyxq';
    for (const withModel of [false, true]) {
      const model = await writeRandomModel({ dir: path.join(root, `spm-${withModel}`), architecture: 'MistralForCausalLM', sentencePiece: spm, writeTokenizerModel: withModel, seed: 4 });
      const outFile = path.join(root, `spm-${withModel}.gguf`);
      await exportModelToGguf({ modelDir: model.dir, outFile, type: 'F16' });
      const meta = (await readGgufHeader(outFile, { keepArraysUpTo: 1000 })).metadata;
      expect(meta).toMatchObject({ 'tokenizer.ggml.model': 'llama', 'tokenizer.ggml.pre': 'default', 'tokenizer.ggml.bos_token_id': 1, 'tokenizer.ggml.add_bos_token': true });
      const types = meta['tokenizer.ggml.token_type'] as number[];
      expect([types[0], types[1], types[3]]).toEqual([2, 3, 6]);
      const tokenizer = Tokenizer.fromString(await readFile(path.join(model.dir, 'tokenizer.json'), 'utf8'));
      const expected = (await tokenizer.encode(text, null, { addSpecialTokens: false })).getIds();
      expect(expected.some((id) => id >= 3 && id < 259)).toBe(true); // some characters fall back to bytes
      expect(await tokenizeWithGguf({ modelGguf: outFile, text })).toEqual(expected);
    }
  });

  it('emits rope_freqs for Llama 3 RoPE scaling', async () => {
    const model = await writeRandomModel({
      dir: path.join(root, 'llama3'),
      seed: 5,
      ropeTheta: 500000,
      ropeScaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 },
    });
    const outFile = path.join(root, 'llama3.gguf');
    await exportModelToGguf({ modelDir: model.dir, outFile, type: 'F16' });
    const header = await readGgufHeader(outFile, { keepArraysUpTo: 1 });
    const rope = header.tensors.find((t) => t.name === 'rope_freqs.weight');
    expect(rope).toMatchObject({ type: 'F32', ne: [8] });
    const bytes = await readFile(outFile);
    const start = header.dataOffset + rope!.offset;
    const factors = Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + 32)));
    expect(factors[0]).toBe(1);
    expect(factors[7]).toBe(8);
    expect(await checkGgufLoads({ modelGguf: outFile })).toMatchObject({ ok: true });
  });
});

describe('LoRA adapters', () => {
  it('exports a PEFT adapter that llama.cpp applies exactly, and a merged model equal to it', async () => {
    const adapter = await writeRandomAdapter({ dir: path.join(root, 'adapter'), base: llama, r: 4, alpha: 8 });
    const adapterGguf = path.join(root, 'adapter.gguf');
    const result = await exportAdapterToGguf({ baseModelDir: llama.dir, adapterDir: adapter.dir, outFile: adapterGguf });
    expect(result.tensorCount).toBe(2 * 7 * 2);
    const header = await readGgufHeader(adapterGguf);
    expect(header.metadata).toMatchObject({ 'general.type': 'adapter', 'adapter.type': 'lora', 'adapter.lora.alpha': 8, 'general.architecture': 'llama' });
    expect(header.tensors.find((t) => t.name === 'blk.0.attn_q.weight.lora_a')?.ne).toEqual([64, 4]);
    expect(header.tensors.find((t) => t.name === 'blk.0.attn_k.weight.lora_b')?.ne).toEqual([4, 32]);

    const baseGguf = path.join(root, 'llama-f32.gguf');
    if (!existsSync(baseGguf)) await exportModelToGguf({ modelDir: llama.dir, outFile: baseGguf, type: 'F32' });
    const reference = await referenceLogits(llama.dir, TOKENS, adapter.dir);
    const base = await referenceLogits(llama.dir, TOKENS);
    expect(maxAbsDiff(reference, base)).toBeGreaterThan(0.1);
    expect(maxAbsDiff(await evaluateGgufLogits({ modelGguf: baseGguf, adapterGguf, tokens: TOKENS }), reference)).toBeLessThan(1e-4);

    const merged = path.join(root, 'merged.gguf');
    await mergeAdapterToGguf({ modelDir: llama.dir, adapterDir: adapter.dir, outFile: merged, type: 'F32' });
    expect(maxAbsDiff(await evaluateGgufLogits({ modelGguf: merged, tokens: TOKENS }), reference)).toBeLessThan(1e-4);
  });

  it('folds rsLoRA scaling into lora_b so llama.cpp scales it right', async () => {
    const adapter = await writeRandomAdapter({ dir: path.join(root, 'rslora'), base: llama, r: 4, alpha: 4, useRslora: true, targets: ['q_proj', 'v_proj'], seed: 9 });
    const adapterGguf = path.join(root, 'rslora.gguf');
    await exportAdapterToGguf({ baseModelDir: llama.dir, adapterDir: adapter.dir, outFile: adapterGguf });
    const baseGguf = path.join(root, 'llama-f32.gguf');
    if (!existsSync(baseGguf)) await exportModelToGguf({ modelDir: llama.dir, outFile: baseGguf, type: 'F32' });
    const diff = maxAbsDiff(await evaluateGgufLogits({ modelGguf: baseGguf, adapterGguf, tokens: TOKENS }), await referenceLogits(llama.dir, TOKENS, adapter.dir));
    expect(diff).toBeLessThan(1e-4);
  });

  it('rejects adapters that do not fit the base model', async () => {
    const other = await writeRandomModel({ dir: path.join(root, 'wide'), hiddenSize: 96, numHeads: 4, seed: 21 });
    const adapter = await writeRandomAdapter({ dir: path.join(root, 'wide-adapter'), base: other, targets: ['q_proj'] });
    await expect(exportAdapterToGguf({ baseModelDir: llama.dir, adapterDir: adapter.dir, outFile: path.join(root, 'x.gguf') })).rejects.toMatchObject({
      code: 'shape_mismatch',
    });
    await rm(path.join(adapter.dir, 'adapter_config.json'));
    await expect(exportAdapterToGguf({ baseModelDir: llama.dir, adapterDir: adapter.dir, outFile: path.join(root, 'x.gguf') })).rejects.toMatchObject({
      code: 'invalid_adapter',
    });
    expect(existsSync(path.join(root, 'x.gguf'))).toBe(false);
  });
});

describe('conversion and loading in a child process', () => {
  it('converts through runConversion with progress and the child’s peak memory', async () => {
    const events: ExportProgress[] = [];
    const outcome = await runConversion({ kind: 'model', modelDir: llama.dir, outFile: path.join(root, 'child.gguf'), type: 'Q8_0' }, { onProgress: (p) => events.push(p) });
    expect(outcome.type).toBe('Q8_0');
    expect(outcome.maxRssBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(events.length).toBeGreaterThan(0);
    expect(await checkGgufLoads({ modelGguf: outcome.outFile })).toMatchObject({ ok: true });
  });

  it('cancels a running conversion, killing the child and leaving no file behind', async () => {
    const big = await writeRandomModel({ dir: path.join(root, 'big'), hiddenSize: 512, intermediateSize: 1024, numHeads: 8, numKvHeads: 4, numLayers: 8, seed: 12 });
    const outDir = await mkdtemp(path.join(root, 'cancel-'));
    const controller = new AbortController();
    const started = Date.now();
    const error = await runConversion(
      { kind: 'model', modelDir: big.dir, outFile: path.join(outDir, 'big.gguf'), type: 'Q8_0', threads: 0 },
      { signal: controller.signal, onProgress: () => controller.abort() },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'aborted' });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('reports a typed error from the child for a bad folder', async () => {
    const empty = await mkdtemp(path.join(root, 'empty-'));
    await expect(runConversion({ kind: 'model', modelDir: empty, outFile: path.join(root, 'none.gguf'), type: 'F16' })).rejects.toMatchObject({ code: 'missing_config' });
    expect(existsSync(path.join(root, 'none.gguf'))).toBe(false);
  });

  it('survives a GGUF that makes llama.cpp abort, and one it refuses politely', async () => {
    // Without feed_forward_length llama.cpp aborts the whole process (SIGABRT, exit 134).
    const bad = path.join(root, 'no-ffn.gguf');
    const source = await readGgufHeader(path.join(root, 'llama-f32.gguf')).catch(async () => {
      await exportModelToGguf({ modelDir: llama.dir, outFile: path.join(root, 'llama-f32.gguf'), type: 'F32' });
      return readGgufHeader(path.join(root, 'llama-f32.gguf'));
    });
    const metadata = new GgufMetadata();
    for (const [key, value] of Object.entries(source.metadata)) {
      if (key === 'llama.feed_forward_length' || key === 'llama.attention.head_count') continue;
      if (typeof value === 'string') metadata.string(key, value);
      else if (typeof value === 'boolean') metadata.bool(key, value);
      else if (typeof value === 'number') metadata[key.includes('epsilon') || key.includes('freq_base') ? 'f32' : 'u32'](key, value);
      else if (Array.isArray(value)) {
        if (key === 'tokenizer.ggml.token_type') metadata.i32s(key, value as number[]);
        else metadata.strings(key, value as string[]);
      }
    }
    const writer = await GgufWriter.create(bad, { metadata, tensors: source.tensors.map((t) => ({ name: t.name, ne: t.ne, type: t.type })) });
    const raw = await readFile(path.join(root, 'llama-f32.gguf'));
    for (const t of source.tensors) await writer.write(t.name, raw.subarray(source.dataOffset + t.offset, source.dataOffset + t.offset + t.byteLength));
    await writer.finish();

    const aborted = await checkGgufLoads({ modelGguf: bad });
    expect(aborted.ok).toBe(false);
    if (!aborted.ok) {
      expect(aborted.code).toBe('llama_rejected');
      expect(aborted.message).toMatch(/^llama\.cpp rejected the file: /);
    }

    const truncated = path.join(root, 'truncated.gguf');
    await writeFile(truncated, raw.subarray(0, Math.floor(raw.length / 2)));
    const refused = await checkGgufLoads({ modelGguf: truncated });
    expect(refused).toMatchObject({ ok: false, code: 'llama_rejected' });

    // This process is still here and llama.cpp still works for good files.
    expect(await checkGgufLoads({ modelGguf: path.join(root, 'llama-f32.gguf') })).toMatchObject({ ok: true });
  });
});
