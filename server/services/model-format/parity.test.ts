// Parity between what Lathe trains and what it serves: the PyTorch trainer and llama.cpp (via the
// GGUFs this service writes) must compute the same logits for the tiny fixture model, with and
// without a trained LoRA adapter, and tokenize text identically.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Tokenizer } from 'tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateGgufLogits, tokenizeWithGguf } from './convert/llama-probe';
import { runConversion } from './convert/run-conversion';
import { cachedTinyModel, runTrainerModule } from '../../../gpu-runner/trainer/python';
import { inspectHfFolder } from './inspect-model';

const TOLERANCE = 1e-3;
const MULTILINGUAL =
  'Hello, world! Grüße aus Köln, ¿qué tal? Привет, мир. 你好，世界！こんにちは。مرحبا 🚀🦙 — 3.14159, 2024-11-23, 12345 tokens.\n\tTabs  and   spaces.';

let root: string;
let modelDir: string;
let tokenizer: Tokenizer;
let baseGguf: string;

async function torchLogits(tokens: number[], adapterDir?: string): Promise<number[][]> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const args = ['--model', modelDir, '--tokens', tokens.join(','), '--threads', '2', ...(adapterDir ? ['--adapter', adapterDir] : [])];
  const code = await runTrainerModule('logits', args, { onStdoutLine: (l) => stdout.push(l), onStderrLine: (l) => stderr.push(l) });
  if (code !== 0) throw new Error(`lathe_trainer.logits exited ${code}: ${stderr.slice(-5).join('\n')}`);
  return (JSON.parse(stdout.join('')) as { logits: number[][] }).logits;
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  a.forEach((row, i) => {
    expect(row.length).toBe(b[i]!.length);
    row.forEach((v, j) => (max = Math.max(max, Math.abs(v - b[i]![j]!))));
  });
  return max;
}

/** A .ltok file (the trainer's tokenized dataset format) with the assistant turns as targets. */
async function writeLtok(file: string, records: Array<{ ids: number[]; mask: number[] }>): Promise<void> {
  const parts: Buffer[] = [Buffer.from('LATHETOK', 'ascii'), Buffer.from(new Uint32Array([1, 0]).buffer)];
  for (const { ids, mask } of records) {
    parts.push(Buffer.from(new Uint32Array([ids.length]).buffer), Buffer.from(new Uint32Array(ids).buffer), Buffer.from(mask));
    parts.push(Buffer.alloc((4 - (mask.length % 4)) % 4));
  }
  await writeFile(file, Buffer.concat(parts));
}

async function encodeChat(user: string, assistant: string): Promise<{ ids: number[]; mask: number[] }> {
  const prompt = (await tokenizer.encode(`<|im_start|>user\n${user}<|im_end|>\n<|im_start|>assistant\n`, null, { addSpecialTokens: false })).getIds();
  const reply = (await tokenizer.encode(`${assistant}<|im_end|>\n`, null, { addSpecialTokens: false })).getIds();
  return { ids: [...prompt, ...reply], mask: [...prompt.map(() => 0), ...reply.map(() => 1)] };
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lathe-parity-'));
  modelDir = await cachedTinyModel();
  tokenizer = Tokenizer.fromString(await readFile(path.join(modelDir, 'tokenizer.json'), 'utf8'));
  baseGguf = path.join(root, 'model.gguf');
  await runConversion({ kind: 'model', modelDir, outFile: baseGguf, type: 'F32' });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('PyTorch and llama.cpp parity on the tiny fixture', () => {
  it('imports the fixture as a chat-capable model', async () => {
    expect(await inspectHfFolder(modelDir)).toMatchObject({ family: 'llama', hasChatTemplate: true, tokenizer: 'bpe' });
  });

  it('tokenizes multilingual text and ChatML exactly like tokenizer.json', async () => {
    const plain = (await tokenizer.encode(MULTILINGUAL, null, { addSpecialTokens: false })).getIds();
    expect(plain.length).toBeGreaterThan(40);
    expect(await tokenizeWithGguf({ modelGguf: baseGguf, text: MULTILINGUAL })).toEqual(plain);

    const chat = '<|im_start|>user\nWie spät ist es? 几点了？<|im_end|>\n<|im_start|>assistant\n';
    const expected = (await tokenizer.encode(chat, null, { addSpecialTokens: false })).getIds();
    expect(await tokenizeWithGguf({ modelGguf: baseGguf, text: chat, specialTokens: true })).toEqual(expected);
  });

  it('gives the same base-model logits within 1e-3', async () => {
    const { ids } = await encodeChat('What is 3 plus 4?', 'Seven.');
    const [torch, llama] = await Promise.all([torchLogits(ids), evaluateGgufLogits({ modelGguf: baseGguf, tokens: ids })]);
    const diff = maxAbsDiff(llama, torch);
    console.info(`parity: base model, ${ids.length} positions, max |llama.cpp - PyTorch| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(TOLERANCE);
  });

  it('gives the same logits with a LoRA adapter trained by the trainer, within 1e-3', async () => {
    const records = await Promise.all([
      encodeChat('What is the capital of France?', 'Paris, of course.'),
      encodeChat('Say hello in German.', 'Hallo! Guten Tag.'),
      encodeChat('Wie spät ist es?', 'Es ist drei Uhr.'),
      encodeChat('Name a colour.', 'Blue, like the sea.'),
    ]);
    const trainFile = path.join(root, 'train.ltok');
    await writeLtok(trainFile, records);
    const config = path.join(root, 'config.json');
    await writeFile(
      config,
      JSON.stringify({
        epochs: 3,
        batch_size: 2,
        learning_rate: 0.01,
        seed: 7,
        threads: 2,
        lora: { rank: 4, alpha: 8, dropout: 0, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
      }),
    );
    const out = path.join(root, 'run');
    const stderr: string[] = [];
    const code = await runTrainerModule('train', ['--model', modelDir, '--train', trainFile, '--config', config, '--out', out], {
      onStderrLine: (l) => stderr.push(l),
    });
    expect(code, stderr.slice(-10).join('\n')).toBe(0);
    const adapterDir = path.join(out, 'adapter');

    const adapterGguf = path.join(root, 'adapter.gguf');
    await runConversion({ kind: 'adapter', baseModelDir: modelDir, adapterDir, outFile: adapterGguf });
    const { ids } = await encodeChat('What is the capital of France?', 'Paris, of course.');
    const [torchBase, torchLora, llamaLora] = await Promise.all([
      torchLogits(ids),
      torchLogits(ids, adapterDir),
      evaluateGgufLogits({ modelGguf: baseGguf, adapterGguf, tokens: ids }),
    ]);
    // The adapter must matter, or the comparison below would prove nothing.
    const effect = maxAbsDiff(torchLora, torchBase);
    expect(effect).toBeGreaterThan(0.05);
    const diff = maxAbsDiff(llamaLora, torchLora);
    expect(diff).toBeLessThan(TOLERANCE);

    const merged = path.join(root, 'merged.gguf');
    await runConversion({ kind: 'merge', modelDir, adapterDir, outFile: merged, type: 'F32' });
    const mergedDiff = maxAbsDiff(await evaluateGgufLogits({ modelGguf: merged, tokens: ids }), torchLora);
    console.info(`parity: adapter moves logits by up to ${effect.toFixed(3)}; max |llama.cpp - PyTorch| = ${diff.toExponential(2)} (adapter GGUF), ${mergedDiff.toExponential(2)} (merged GGUF)`);
    expect(mergedDiff).toBeLessThan(TOLERANCE);
  });
});
