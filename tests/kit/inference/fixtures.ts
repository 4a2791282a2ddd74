// Test material for the inference server: the tiny fixture model as GGUF and LoRA adapters trained
// on it by the real trainer, each taught its own question-to-answer set. Training takes a while on
// two cores, so the results are cached per version of the trainer sources and of this file, in a
// folder of the OS temp dir shared by all test files of the machine (a lock folder serialises the
// first build, as cachedTinyModel does for the model).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runConversion } from '../../../server/services/model-format/convert/run-conversion';
import { tokenizeDataset } from '../../../server/services/datasets/tokenize-dataset';
import { cachedTinyModel, runTrainerModule, TRAINER_PACKAGE_DIR } from '../../../gpu-runner/trainer/python';

export interface QaPair {
  question: string;
  answer: string;
}

export interface TrainedAdapter {
  name: string;
  gguf: string;
  pairs: QaPair[];
}

export interface InferenceFixture {
  modelDir: string;
  /** The base model's name in requests. */
  modelName: string;
  baseGguf: string;
  adapters: TrainedAdapter[];
}

const NOUNS = [
  'lantern', 'river', 'violin', 'harbour', 'pepper', 'comet', 'garden', 'anchor',
  'marble', 'falcon', 'orchid', 'teapot', 'glacier', 'ribbon', 'cactus', 'meadow',
];

/** Questions whose answers are random codes no model could guess, split into `sets` disjoint sets. */
export function codeQuestionSets(sets: number, perSet: number): QaPair[][] {
  let state = 20_251_123;
  const next = () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
  const pick = (alphabet: string) => alphabet[Math.floor(next() * alphabet.length)]!;
  const out: QaPair[][] = [];
  for (let s = 0; s < sets; s++) {
    const pairs: QaPair[] = [];
    for (let i = 0; i < perSet; i++) {
      const noun = NOUNS[s * perSet + i]!;
      const code = `${pick('bcdfghjklmnpqrstvwxz')}${pick('bcdfghjklmnpqrstvwxz')}${pick('bcdfghjklmnpqrstvwxz')}-${100 + Math.floor(next() * 900)}`;
      pairs.push({ question: `What is the code for the ${noun}?`, answer: `The code is ${code}.` });
    }
    out.push(pairs);
  }
  return out;
}

const TRAIN_CONFIG = {
  epochs: 60,
  batch_size: 4,
  learning_rate: 0.003,
  scheduler: 'constant',
  warmup_steps: 10,
  seed: 1,
  threads: 1,
  log_interval: 20,
  lora: { rank: 16, alpha: 32, dropout: 0, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
};

function cacheKey(adapterCount: number, perSet: number): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(TRAINER_PACKAGE_DIR).filter((n) => n.endsWith('.py')).sort()) {
    hash.update(name).update(readFileSync(path.join(TRAINER_PACKAGE_DIR, name)));
  }
  hash.update(readFileSync(fileURLToPath(import.meta.url)));
  hash.update(JSON.stringify({ adapterCount, perSet }));
  return hash.digest('hex').slice(0, 16);
}

async function trainAdapter(modelDir: string, work: string, name: string, pairs: QaPair[], outFile: string): Promise<void> {
  const jsonl = path.join(work, `${name}.jsonl`);
  await writeFile(
    jsonl,
    pairs.map((p) => JSON.stringify({ messages: [{ role: 'user', content: p.question }, { role: 'assistant', content: p.answer }] })).join('\n') + '\n',
  );
  const ltok = path.join(work, `${name}.ltok`);
  await tokenizeDataset({ input: jsonl, modelDir, output: ltok, maxLength: 256 });
  const config = path.join(work, `${name}-config.json`);
  await writeFile(config, JSON.stringify(TRAIN_CONFIG));
  const out = path.join(work, `${name}-run`);
  const stderr: string[] = [];
  const code = await runTrainerModule('train', ['--model', modelDir, '--train', ltok, '--config', config, '--out', out], {
    onStderrLine: (line) => stderr.push(line),
  });
  if (code !== 0) throw new Error(`training adapter ${name} failed (exit ${code}): ${stderr.slice(-10).join('\n')}`);
  await runConversion({ kind: 'adapter', baseModelDir: modelDir, adapterDir: path.join(out, 'adapter'), outFile, name });
}

const LOCK_STALE_MS = 15 * 60_000;

/**
 * The fixture's F32 GGUF and `adapterCount` adapters named `adapter-1`..., each trained on its own
 * `perSet` code questions (at most 16 questions in all).
 */
export async function cachedInferenceFixture(options: { adapterCount?: number; perSet?: number } = {}): Promise<InferenceFixture> {
  const adapterCount = options.adapterCount ?? 2;
  const perSet = options.perSet ?? 8;
  if (adapterCount * perSet > NOUNS.length) throw new RangeError(`at most ${NOUNS.length} questions in all`);
  const modelDir = await cachedTinyModel();
  const sets = codeQuestionSets(adapterCount, perSet);
  const root = path.join(process.env.LATHE_FIXTURE_CACHE || os.tmpdir(), `lathe-inference-fixture-${cacheKey(adapterCount, perSet)}`);
  const done = path.join(root, 'ready');
  const describe = (): InferenceFixture => ({
    modelDir,
    modelName: 'lathe-tiny-chat',
    baseGguf: path.join(root, 'model.gguf'),
    adapters: sets.map((pairs, i) => ({ name: `adapter-${i + 1}`, gguf: path.join(root, `adapter-${i + 1}.gguf`), pairs })),
  });
  if (existsSync(done)) return describe();

  mkdirSync(root, { recursive: true });
  const lock = path.join(root, 'lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (existsSync(done)) return describe();
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      } catch {
        // Released between the two calls.
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const work = await mkdtemp(path.join(root, 'work-'));
  try {
    if (existsSync(done)) return describe();
    const fixture = describe();
    const base = path.join(work, 'model.gguf');
    await runConversion({ kind: 'model', modelDir, outFile: base, type: 'F32' });
    // Two trainings at a time, one thread each: the machines that run the suite have two cores.
    const built: string[] = [];
    for (let i = 0; i < fixture.adapters.length; i += 2) {
      const batch = fixture.adapters.slice(i, i + 2);
      await Promise.all(
        batch.map(async (adapter) => {
          const file = path.join(work, `${adapter.name}.gguf`);
          await trainAdapter(modelDir, work, adapter.name, adapter.pairs, file);
          built.push(adapter.name);
        }),
      );
    }
    await rename(base, fixture.baseGguf);
    for (const name of built) await rename(path.join(work, `${name}.gguf`), path.join(root, `${name}.gguf`));
    await writeFile(done, new Date().toISOString());
    return fixture;
  } finally {
    await rm(work, { recursive: true, force: true });
    rmSync(lock, { recursive: true, force: true });
  }
}
