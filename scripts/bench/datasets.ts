// Dataset pipeline benchmark: validation and tokenization throughput and peak memory on a generated
// chat file, against the raw Rust tokenizer on the same rendered text.
//   npm run bench:datasets                 200 MB file (cached in the temp folder)
//   npm run bench:datasets -- --mb 50 --rounds 1
// Each measurement runs in its own process so its peak RSS is its own. Tokenization and the
// reference alternate for a few rounds and the best of each counts, so a burst of load from other
// processes on the machine does not decide the comparison. The last line printed is one JSON object.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Tokenizer } from 'tokenizers';
import { ChatTokenizer } from '../../server/services/datasets/chat-tokenizer';
import { readExamples } from '../../server/services/datasets/read-examples';
import { tokenizeDataset } from '../../server/services/datasets/tokenize-dataset';
import { validateDataset } from '../../server/services/datasets/validate-dataset';
import { writeChatFile } from '../../tests/fixtures/datasets/generate-chat';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts/bench/datasets.ts');
const TEST_TOKENIZER = path.join(ROOT, 'tests/fixtures/datasets/tokenizer');
const TRAINER = path.join(ROOT, 'gpu-runner/trainer');
const NO_TRUNCATION = 1 << 24;
const REFERENCE_BATCH = 128;
const run = promisify(execFile);

interface ChildResult {
  seconds: number;
  /** CPU seconds (user + system) of the whole process. */
  cpuSeconds: number;
  maxRssMb: number;
  tokens?: number;
  trainedTokens?: number;
  examples?: number;
}

async function child(mode: string, file: string, modelDir: string): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', SCRIPT, '--child', mode, file, modelDir], {
    cwd: ROOT,
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

async function childMain(mode: string, file: string, modelDir: string): Promise<void> {
  const started = performance.now();
  let result: Omit<ChildResult, 'maxRssMb' | 'cpuSeconds'>;
  if (mode === 'validate') {
    const report = await validateDataset({ input: file });
    if (!report.ok) throw new Error(`The generated file did not validate: ${JSON.stringify(report.byCode)}`);
    result = { seconds: (performance.now() - started) / 1000, examples: report.examples };
  } else if (mode === 'tokenize') {
    const output = path.join(path.dirname(file), 'bench.ltok');
    const stats = await tokenizeDataset({ input: file, modelDir, output, maxLength: NO_TRUNCATION });
    result = { seconds: (performance.now() - started) / 1000, examples: stats.train.examples, tokens: stats.train.totalTokens, trainedTokens: stats.train.trainedTokens };
  } else {
    result = await reference(file, modelDir);
  }
  const usage = process.resourceUsage();
  console.log(JSON.stringify({ ...result, maxRssMb: usage.maxRSS / 1024, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6 }));
}

/**
 * The Rust tokenizer alone on the same rendered conversations: rendering is done untimed, then
 * only the batched encodes (two in flight, all cores) and reading the ids back are timed.
 */
async function reference(file: string, modelDir: string): Promise<Omit<ChildResult, 'maxRssMb' | 'cpuSeconds'>> {
  // Rendering is untimed here, and the template is the fixture's own.
  const chat = await ChatTokenizer.load({ modelDir, isolation: 'in-process' });
  const tokenizer = Tokenizer.fromFile(path.join(modelDir, 'tokenizer.json'));
  let timedMs = 0;
  let tokens = 0;
  let examples = 0;
  let texts: string[] = [];
  const encodeAll = async () => {
    const started = performance.now();
    let inFlight: Promise<unknown[]> | null = null;
    const drain = async () => {
      if (inFlight) for (const encoding of (await inFlight) as { getIds(): number[] }[]) tokens += encoding.getIds().length;
    };
    for (let i = 0; i < texts.length; i += REFERENCE_BATCH) {
      const next = tokenizer.encodeBatch(texts.slice(i, i + REFERENCE_BATCH), { addSpecialTokens: false });
      await drain();
      inFlight = next;
    }
    await drain();
    timedMs += performance.now() - started;
    texts = [];
  };
  for await (const example of readExamples({ input: file })) {
    if (!example.conversation) throw new Error(`line ${example.line}: ${example.error.message}`);
    texts.push((await chat.render([example.conversation]))[0]!.text);
    examples++;
    if (texts.length >= 8192) await encodeAll();
  }
  await encodeAll();
  return { seconds: timedMs / 1000, tokens, examples };
}

/** The trainer's fixture tokenizer when the trainer package is here, else the unit-test tokenizer. */
async function benchModel(workDir: string): Promise<{ modelDir: string; name: string }> {
  if (!existsSync(path.join(TRAINER, 'lathe_trainer/fixture.py'))) return { modelDir: TEST_TOKENIZER, name: 'unit-test tokenizer (586 tokens)' };
  const modelDir = path.join(workDir, 'fixture-model');
  mkdirSync(modelDir, { recursive: true });
  const script = [
    'import json, os, sys',
    'from lathe_trainer.fixture import build_tokenizer, tokenizer_config',
    'spec, _ = build_tokenizer()',
    'for name, data in (("tokenizer.json", spec), ("tokenizer_config.json", tokenizer_config())):',
    '    json.dump(data, open(os.path.join(sys.argv[1], name), "w", encoding="utf-8"), ensure_ascii=False)',
  ].join('\n');
  await run('/usr/bin/python3', ['-c', script, modelDir], { env: { ...process.env, PYTHONPATH: TRAINER } });
  return { modelDir, name: 'trainer fixture tokenizer (768 tokens)' };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return childMain(args[1]!, args[2]!, args[3]!);
  const mbIndex = args.indexOf('--mb');
  const mb = mbIndex === -1 ? 200 : Number(args[mbIndex + 1]);
  const roundsIndex = args.indexOf('--rounds');
  const rounds = roundsIndex === -1 ? 2 : Number(args[roundsIndex + 1]);
  const workDir = path.join(tmpdir(), 'lathe-bench-datasets');
  mkdirSync(workDir, { recursive: true });
  const file = path.join(workDir, `chat-${mb}mb.jsonl`);
  if (!existsSync(file)) {
    console.log(`generating ${mb} MB of chat JSONL in ${file}`);
    await writeChatFile(`${file}.partial`, mb * 1e6);
    const { renameSync } = await import('node:fs');
    renameSync(`${file}.partial`, file);
  }
  const megabytes = statSync(file).size / 1e6;
  const { modelDir, name } = await benchModel(workDir);
  console.log(`file ${megabytes.toFixed(1)} MB, ${name}, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}`);

  const best = (results: ChildResult[]) => results.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const validations: ChildResult[] = [];
  const tokenizations: ChildResult[] = [];
  const references: ChildResult[] = [];
  for (let round = 1; round <= rounds; round++) {
    validations.push(await child('validate', file, modelDir));
    tokenizations.push(await child('tokenize', file, modelDir));
    references.push(await child('reference', file, modelDir));
    const [v, t, r] = [validations.at(-1)!, tokenizations.at(-1)!, references.at(-1)!];
    console.log(
      `round ${round}: validate ${(megabytes / v.seconds).toFixed(1)} MB/s (${v.cpuSeconds.toFixed(1)} CPU s), tokenize ${(megabytes / t.seconds).toFixed(2)} MB/s ` +
        `(${t.cpuSeconds.toFixed(1)} CPU s), reference ${(megabytes / r.seconds).toFixed(2)} MB/s, load ${loadavg()[0]!.toFixed(2)}`,
    );
    if (r.tokens !== t.tokens) throw new Error(`Token counts differ: pipeline ${t.tokens}, reference ${r.tokens}.`);
  }
  const validation = best(validations);
  const tokenization = best(tokenizations);
  const ref = best(references);
  const peakRss = Math.max(...validations.map((v) => v.maxRssMb), ...tokenizations.map((t) => t.maxRssMb));
  console.log(`validate   ${(megabytes / validation.seconds).toFixed(1)} MB/s  ${validation.seconds.toFixed(1)} s  peak RSS ${validation.maxRssMb.toFixed(0)} MB  ${validation.examples} examples`);
  console.log(`tokenize   ${(megabytes / tokenization.seconds).toFixed(2)} MB/s  ${tokenization.seconds.toFixed(1)} s  peak RSS ${tokenization.maxRssMb.toFixed(0)} MB  ${tokenization.tokens} tokens, ${tokenization.trainedTokens} trained`);
  console.log(`reference  ${(megabytes / ref.seconds).toFixed(2)} MB/s  ${ref.seconds.toFixed(1)} s  (tokenizers encodeBatch alone on the rendered text)`);

  const summary = {
    file_mb: Number(megabytes.toFixed(1)),
    examples: validation.examples,
    tokens: tokenization.tokens,
    tokenizer: name,
    validate_mb_s: Number((megabytes / validation.seconds).toFixed(1)),
    tokenize_mb_s: Number((megabytes / tokenization.seconds).toFixed(2)),
    reference_tokenize_mb_s: Number((megabytes / ref.seconds).toFixed(2)),
    tokenize_vs_reference: Number((ref.seconds / tokenization.seconds).toFixed(2)),
    validate_cpu_s: Number(validation.cpuSeconds.toFixed(1)),
    tokenize_cpu_s: Number(tokenization.cpuSeconds.toFixed(1)),
    validate_peak_rss_mb: Math.round(Math.max(...validations.map((v) => v.maxRssMb))),
    tokenize_peak_rss_mb: Math.round(Math.max(...tokenizations.map((t) => t.maxRssMb))),
    peak_rss_mb: Math.round(peakRss),
    rounds,
    load_average: Number(loadavg()[0]!.toFixed(2)),
  };
  writeFileSync(path.join(workDir, 'last-run.json'), `${JSON.stringify(summary)}\n`);
  console.log(JSON.stringify(summary));
}

await main();
