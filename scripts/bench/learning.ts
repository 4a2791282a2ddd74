// npm run bench:learning: do the defaults learn? Four small datasets generated from fixed seeds
// (tests/helpers/learning-datasets.ts: invented facts, JSON with fixed keys, a fixed sign-off, a
// refusal sentence for one topic) are each fine-tuned on the fixture model with default
// hyperparameters only, through the whole platform (web, worker and gpu-runner on a throwaway
// embedded database), and scored through /v1 with the openai client, greedy, against the
// fine-tuned model and the base. The last line of output is one JSON object: the share learned per
// dataset, the base's share, and the wall time.
//
// Options: --kinds facts,json,style,refusal (default all), --examples N (default 24), --seed N
// (default 1000; dataset i uses seed + i). The seeds are the benchmark's own: tests draw others.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import OpenAI, { toFile } from 'openai';
import { benchUserKey, lathe } from '../lib/lathe-cli';
import { startPlatform } from '../lib/supervisor';
import { cachedTinyModel } from '@/gpu-runner/trainer/python';
import { LEARNING_KINDS, learningDataset, toJsonl, type LearningKind } from '@/tests/helpers/learning-datasets';

const { values } = parseArgs({
  options: {
    kinds: { type: 'string', default: LEARNING_KINDS.join(',') },
    examples: { type: 'string', default: '24' },
    seed: { type: 'string', default: '1000' },
  },
});
const kinds = values.kinds.split(',').map((k) => k.trim()) as LearningKind[];
for (const kind of kinds) if (!LEARNING_KINDS.includes(kind)) throw new Error(`unknown kind ${kind}; use ${LEARNING_KINDS.join(', ')}`);
const examples = Number(values.examples);
const seed = Number(values.seed);
const log = (line: string) => process.stderr.write(`${line}\n`);

async function replies(client: OpenAI, model: string, prompts: OpenAI.Chat.ChatCompletionMessageParam[][]): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < prompts.length; i += 2) {
    const batch = await Promise.all(prompts.slice(i, i + 2).map((messages) => client.chat.completions.create({ model, messages, temperature: 0, max_tokens: 64 })));
    out.push(...batch.map((r) => r.choices[0]!.message.content ?? ''));
  }
  return out;
}

const started = Date.now();
const dataDir = await mkdtemp(path.join(tmpdir(), 'lathe-bench-learning-'));
await chmod(dataDir, 0o755);
// Always a throwaway embedded database: the benchmark must not write users into a real one.
delete process.env.DATABASE_URL;
const lines: string[] = [];
const platform = await startPlatform({
  dataDir,
  port: 0,
  env: { LOG_LEVEL: 'warn', LATHE_EXECUTOR: 'process', LATHE_RATE_LIMIT_RPM: '0', RUNNER_SERVING_THREADS: '1' },
  log: (line) => lines.push(line),
}).catch((error: unknown) => {
  throw new Error(`${(error as Error).message}\n${lines.slice(-30).join('\n')}`);
});
try {
  const env = { ...process.env, DATABASE_URL: platform.databaseUrl, LATHE_DATA_DIR: dataDir };
  const baseModel = 'lathe-tiny-chat';
  await lathe(['models', 'import', await cachedTinyModel(), '--name', baseModel], env);
  const email = 'bench-learning@example.test';
  const apiKey = await benchUserKey(email, env);
  const client = new OpenAI({ apiKey, baseURL: `${platform.url}/v1`, maxRetries: 0, timeout: 600_000 });

  const datasets = kinds.map((kind, i) => learningDataset(kind, seed + i, examples));
  // All jobs are created first and queue on the runner; each is scored once it succeeds.
  const jobs = [];
  for (const dataset of datasets) {
    const file = await client.files.create({ file: await toFile(Buffer.from(toJsonl(dataset.train)), `${dataset.kind}.jsonl`), purpose: 'fine-tune' });
    jobs.push(await client.fineTuning.jobs.create({ model: baseModel, training_file: file.id, suffix: dataset.kind, seed: 1 }));
  }
  const learned: Record<string, number> = {};
  const base: Record<string, number> = {};
  const hyperparameters: Record<string, unknown> = {};
  const jobSeconds: Record<string, number> = {};
  for (const [i, dataset] of datasets.entries()) {
    let job = jobs[i]!;
    while (!['succeeded', 'failed', 'cancelled'].includes(job.status)) {
      await new Promise((r) => setTimeout(r, 2000));
      job = await client.fineTuning.jobs.retrieve(job.id);
    }
    if (job.status !== 'succeeded') throw new Error(`the ${dataset.kind} job ${job.status}: ${JSON.stringify(job.error)}\n${lines.slice(-30).join('\n')}`);
    hyperparameters[dataset.kind] = job.hyperparameters;
    jobSeconds[dataset.kind] = (job.finished_at ?? 0) - job.created_at;
    const prompts = dataset.probes.map((p) => p.messages as OpenAI.Chat.ChatCompletionMessageParam[]);
    const tuned = await replies(client, job.fine_tuned_model!, prompts);
    const plain = await replies(client, baseModel, prompts);
    learned[dataset.kind] = Number((tuned.filter((r, k) => dataset.score(r, k)).length / prompts.length).toFixed(3));
    base[dataset.kind] = Number((plain.filter((r, k) => dataset.score(r, k)).length / prompts.length).toFixed(3));
    log(`${dataset.kind}: learned ${learned[dataset.kind]}, base ${base[dataset.kind]}; e.g. ${JSON.stringify(tuned[0])} for ${JSON.stringify(dataset.probes[0]!.expected)}`);
  }
  console.log(JSON.stringify({ learned, base, wall_s: Math.round((Date.now() - started) / 1000), job_s: jobSeconds, examples, seed, hyperparameters }));
} finally {
  await platform.stop();
  await rm(dataDir, { recursive: true, force: true });
}
