// Serving benchmark: what the inference server costs on top of node-llama-cpp, and what it does
// with many adapters at once.
//   npm run bench:serving
//   npm run bench:serving -- --threads 1 --tokens 128 --runs 5 --concurrent-tokens 64
//
// 1. Single stream, side by side in one run, same GGUF, same threads, same context shape, greedy,
//    exactly --tokens tokens per run: node-llama-cpp called in process (sequence.evaluate,
//    detokenizing as it goes; in a child process of its own, serving-direct.ts, timed there from
//    the moment it reads the request, so no hand-over is charged to it) against the inference server's /v1/chat/completions streamed through
//    the official `openai` client (the internal token as API key). The paths alternate run by run,
//    and the figures compare each server run with the direct run of the same round (median of those
//    ratios and differences), so that load from other processes, which comes and goes, hits both
//    sides of each comparison alike; the best run of each path is printed too. Beside wall-clock
//    figures it counts CPU time per generated token and per 1-token request (every thread of the
//    processes involved, from /proc), which load from other processes barely changes: the server
//    path's CPU includes the server process and the client's parsing in this one.
// 2. 8 concurrent streams over 4 LoRA adapters on the one base: aggregate tokens/s and p95 time to
//    first token.
// 3. The full path a client takes, in the same alternation as 1: the openai client against the
//    web app's /v1 (a web process and a gpu-runner on a throwaway embedded database, the same GGUF
//    imported as a base model, serving-web.ts), which authenticates the key, checks credits,
//    resolves the model, proxies the stream to the runner's inference server and records usage.
//    `throughput_ratio` and `ttft_overhead_ms` compare this path with node-llama-cpp in process
//    (`--no-web` leaves it out and reports the inference server alone).
// Each path is a `StreamPath`. The model is a random-weight Llama of about 25M parameters (F32, made with the
// conversion library's test helpers), so decoding costs milliseconds per token and the comparison
// is not dominated by HTTP. The last line printed is one JSON object.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { runConversion } from '../../server/services/model-format/convert/run-conversion';
import { startInferenceServer, type InferenceServerHandle } from '../../gpu-runner/inference/supervisor';
import { writeRandomAdapter, writeRandomModel } from '../../tests/kit/models/random-model';
import { processCpuMs, type RunTiming } from './serving-direct';
import { startWebServing, type WebServing } from './serving-web';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' },
    tokens: { type: 'string', default: '128' },
    runs: { type: 'string', default: '21' },
    'concurrent-tokens': { type: 'string', default: '64' },
    'concurrent-rounds': { type: 'string', default: '3' },
    'no-web': { type: 'boolean', default: false },
  },
});
const THREADS = Number(args.threads);
const TOKENS = Number(args.tokens);
const RUNS = Number(args.runs);
const CONCURRENT_TOKENS = Number(args['concurrent-tokens']);
const CONCURRENT_ROUNDS = Number(args['concurrent-rounds']);
const CONTEXT_SIZE = 1024;
const ADAPTERS = 4;
const STREAMS = 8;
const SHAPE = { hiddenSize: 512, intermediateSize: 1536, numLayers: 8, numHeads: 8, numKvHeads: 4, contextLength: 2048, seed: 11 };
const MODEL_NAME = 'bench-25m';

interface StreamPath {
  name: string;
  run: (question: string, maxTokens: number) => Promise<RunTiming>;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** The random model and its adapters as GGUFs, cached in the temp folder per shape. */
async function benchModel(): Promise<{ gguf: string; adapters: string[] }> {
  const root = path.join(tmpdir(), `lathe-bench-serving-${Object.values(SHAPE).join('-')}-${ADAPTERS}`);
  const gguf = path.join(root, 'model.gguf');
  const adapters = Array.from({ length: ADAPTERS }, (_, i) => path.join(root, `adapter-${i + 1}.gguf`));
  if (existsSync(gguf) && adapters.every((a) => existsSync(a))) return { gguf, adapters };
  await mkdir(root, { recursive: true });
  const work = await mkdtemp(path.join(root, 'work-'));
  try {
    console.error('writing a random-weight model of the benchmark shape and its adapters ...');
    const model = await writeRandomModel({ dir: path.join(work, 'model'), ...SHAPE });
    await runConversion({ kind: 'model', modelDir: model.dir, outFile: path.join(work, 'model.gguf'), type: 'F32', name: MODEL_NAME });
    for (let i = 0; i < ADAPTERS; i++) {
      const adapter = await writeRandomAdapter({ dir: path.join(work, `adapter-${i + 1}`), base: model, seed: 100 + i, r: 8, std: 0.02 });
      await runConversion({ kind: 'adapter', baseModelDir: model.dir, adapterDir: adapter.dir, outFile: path.join(work, `adapter-${i + 1}.gguf`) });
    }
    for (let i = 0; i < ADAPTERS; i++) await rename(path.join(work, `adapter-${i + 1}.gguf`), adapters[i]!);
    await rename(path.join(work, 'model.gguf'), gguf);
    return { gguf, adapters };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * node-llama-cpp called directly, in a child process of its own (serving-direct.ts): the process
 * that runs the openai client must not also run llama.cpp, or every request it sends right after a
 * direct run starts late (measured: a first token after ~100 ms instead of ~45 ms from the same
 * server), which would be charged to the server.
 */
async function directPath(gguf: string): Promise<StreamPath & { dispose: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'serving-direct.ts'), gguf, String(THREADS), String(CONTEXT_SIZE)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async <T>(): Promise<T> => {
    let line: string;
    do {
      const { value, done } = await lines.next();
      if (done) throw new Error(`the direct path's process ended (exit ${child.exitCode})`);
      line = value as string;
    } while (!line.startsWith('{')); // llama.cpp's own messages, if any
    const reply = JSON.parse(line) as T & { error?: string };
    if (reply.error) throw new Error(`direct path: ${reply.error}`);
    return reply;
  };
  await next<{ ready: true }>();
  return {
    name: 'node-llama-cpp in process',
    async run(question, maxTokens) {
      child.stdin!.write(`${JSON.stringify({ question, maxTokens })}\n`);
      return next<RunTiming>();
    },
    async dispose() {
      child.stdin!.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

/** Any OpenAI-compatible endpoint, streamed with the official client: the inference server, later the web app's /v1. */
function openAiPath(name: string, baseURL: string, apiKey: string, model: string, serverPids: () => number[] = () => []): StreamPath {
  const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
  const serverCpu = () => serverPids().reduce((sum, pid) => sum + processCpuMs(pid), 0);
  return {
    name,
    async run(question, maxTokens) {
      const clientBefore = processCpuMs();
      const serverBefore = serverCpu();
      const started = performance.now();
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: question }],
        temperature: 0,
        max_tokens: maxTokens,
        stream: true,
        // The server's extension for fixed-length generations: a random model may end its turn early.
        ignore_eos: true,
      } as OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming);
      let first = 0;
      let last = 0;
      let tokens = 0;
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) {
          last = performance.now();
          if (!first) first = last;
        }
        if (chunk.usage) tokens = chunk.usage.completion_tokens;
      }
      if (tokens !== maxTokens) throw new Error(`${name}: expected ${maxTokens} tokens, usage says ${tokens}`);
      const serverCpuMs = serverCpu() - serverBefore;
      const cpuMsPerToken = (processCpuMs() - clientBefore + serverCpuMs) / tokens;
      return { ttftMs: first - started, decodeTokensPerS: (tokens - 1) / ((last - first) / 1000), tokens, cpuMsPerToken, serverCpuMsPerToken: serverCpuMs / tokens };
    },
  };
}

interface PathSummary {
  ttftMs: number;
  decodeTokensPerS: number;
  medianTtftMs: number;
  medianDecodeTokensPerS: number;
  cpuMsPerToken: number;
  serverCpuMsPerToken?: number;
  ttftCpuMs: number;
}

type Paired = { ratio: number; ttftOverheadMs: number };

async function singleStream(gguf: string, web: WebServing | null): Promise<{ summaries: PathSummary[]; pairedRatio: number; pairedTtftOverheadMs: number; web: Paired | null }> {
  const direct = await directPath(gguf);
  const server = await startInferenceServer({ modelGguf: gguf, name: MODEL_NAME, concurrency: 1, threads: THREADS, contextSize: CONTEXT_SIZE });
  try {
    const paths: StreamPath[] = [direct, openAiPath('inference server /v1 (openai client)', `${server.url}/v1`, server.token, MODEL_NAME, () => [server.pid!])];
    if (web) paths.push(openAiPath('web app /v1 -> runner (openai client)', web.baseURL, web.apiKey, MODEL_NAME, web.pids));
    const timings = new Map<string, RunTiming[]>(paths.map((p) => [p.name, []]));
    // CPU time of a whole request for one token: what the first token costs on an idle core.
    const firstTokenCpu = new Map<string, number[]>(paths.map((p) => [p.name, []]));
    // One warm-up run each (first-touch of the weights, JIT), then alternating measured runs.
    for (const p of paths) await p.run('Warm up: say something.', 8);
    // Each round starts with a different path: a llama.cpp process that starts computing right after
    // another one finished answers more slowly (measured: a first token after ~100 ms instead of
    // ~45), so a fixed order would always charge that to the same path.
    for (let run = 0; run < RUNS; run++) {
      const order = paths.map((_, i) => paths[(i + run) % paths.length]!);
      for (const p of order) timings.get(p.name)!.push(await p.run(`Run ${run}: tell me about the river and the old mill.`, TOKENS));
      for (const p of paths) firstTokenCpu.get(p.name)!.push((await p.run(`Once ${run}: tell me about the river and the old mill.`, 1)).cpuMsPerToken);
    }
    const summaries = paths.map((p): PathSummary => {
      const runs = timings.get(p.name)!;
      const summary = {
        ttftMs: round(Math.min(...runs.map((r) => r.ttftMs)), 2),
        decodeTokensPerS: round(Math.max(...runs.map((r) => r.decodeTokensPerS))),
        medianTtftMs: round(median(runs.map((r) => r.ttftMs)), 2),
        medianDecodeTokensPerS: round(median(runs.map((r) => r.decodeTokensPerS))),
        cpuMsPerToken: round(median(runs.map((r) => r.cpuMsPerToken)), 3),
        serverCpuMsPerToken: runs[0]!.serverCpuMsPerToken === undefined ? undefined : round(median(runs.map((r) => r.serverCpuMsPerToken!)), 3),
        ttftCpuMs: round(median(firstTokenCpu.get(p.name)!), 2),
      };
      console.log(
        `  ${p.name.padEnd(40)} decode best ${summary.decodeTokensPerS.toFixed(1).padStart(6)} tok/s (median ${summary.medianDecodeTokensPerS.toFixed(1)})` +
          `   TTFT best ${summary.ttftMs.toFixed(2).padStart(7)} ms (median ${summary.medianTtftMs.toFixed(2)})   CPU ${summary.cpuMsPerToken.toFixed(3)} ms/token` +
          (summary.serverCpuMsPerToken === undefined ? '' : ` (server ${summary.serverCpuMsPerToken.toFixed(3)})`) +
          `, ${summary.ttftCpuMs.toFixed(2)} ms for a 1-token request`,
      );
      console.log(`    runs: ${runs.map((r) => `${r.decodeTokensPerS.toFixed(0)} tok/s ${r.ttftMs.toFixed(1)} ms`).join(' | ')}`);
      return summary;
    });
    const [directRuns, serverRuns, webRuns] = paths.map((p) => timings.get(p.name)!) as [RunTiming[], RunTiming[], RunTiming[] | undefined];
    const pairedRatio = round(median(directRuns.map((d, i) => serverRuns[i]!.decodeTokensPerS / d.decodeTokensPerS)), 3);
    const pairedTtftOverheadMs = round(median(directRuns.map((d, i) => serverRuns[i]!.ttftMs - d.ttftMs)), 2);
    console.log(`  server run / direct run of the same round: throughput ratio median ${pairedRatio}, TTFT overhead median ${pairedTtftOverheadMs} ms`);
    const webPaired = webRuns
      ? {
          ratio: round(median(directRuns.map((d, i) => webRuns[i]!.decodeTokensPerS / d.decodeTokensPerS)), 3),
          ttftOverheadMs: round(median(directRuns.map((d, i) => webRuns[i]!.ttftMs - d.ttftMs)), 2),
        }
      : null;
    if (webPaired) console.log(`  web app run / direct run of the same round: throughput ratio median ${webPaired.ratio}, TTFT overhead median ${webPaired.ttftOverheadMs} ms`);
    return { summaries, pairedRatio, pairedTtftOverheadMs, web: webPaired };
  } finally {
    await server.stop();
    await direct.dispose();
  }
}

async function concurrentStreams(gguf: string, adapters: string[]): Promise<{ tokensPerS: number; p95TtftMs: number; medianTtftMs: number }> {
  const server: InferenceServerHandle = await startInferenceServer({
    modelGguf: gguf,
    name: MODEL_NAME,
    adapters: adapters.map((file, i) => ({ name: `adapter-${i + 1}`, path: file })),
    concurrency: STREAMS,
    sequences: STREAMS / ADAPTERS,
    maxContexts: ADAPTERS + 1,
    threads: THREADS,
    contextSize: CONTEXT_SIZE,
  });
  try {
    const streams = Array.from({ length: STREAMS }, (_, i) => openAiPath(`stream ${i}`, `${server.url}/v1`, server.token, `adapter-${(i % ADAPTERS) + 1}`));
    // Wake every adapter's context first: the figures are for steady serving, not first requests.
    await Promise.all(streams.map((s, i) => s.run(`Wake ${i}`, 4)));
    const ttfts: number[] = [];
    const rates: number[] = [];
    for (let r = 0; r < CONCURRENT_ROUNDS; r++) {
      const started = performance.now();
      const results = await Promise.all(streams.map((s, i) => s.run(`Round ${r}, stream ${i}: tell me about the harbour.`, CONCURRENT_TOKENS)));
      const seconds = (performance.now() - started) / 1000;
      rates.push(results.reduce((sum, x) => sum + x.tokens, 0) / seconds);
      ttfts.push(...results.map((x) => x.ttftMs));
    }
    return { tokensPerS: round(median(rates)), p95TtftMs: round(percentile(ttfts, 95)), medianTtftMs: round(median(ttfts)) };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const { gguf, adapters } = await benchModel();
  console.log(`serving benchmark: ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${THREADS} thread(s)`);
  console.log(`model: random-weight Llama ${SHAPE.numLayers} x ${SHAPE.hiddenSize} (ffn ${SHAPE.intermediateSize}), about 25M parameters, F32; context ${CONTEXT_SIZE}`);
  console.log(`single stream: ${TOKENS} tokens per run, greedy, ${RUNS} alternating runs per path`);
  let web: WebServing | null = null;
  if (!args['no-web']) {
    console.log('starting a web app and a gpu-runner for the path through /v1 ...');
    web = await startWebServing({ gguf, modelName: MODEL_NAME, threads: THREADS, contextSize: CONTEXT_SIZE, log: (line) => console.error(line) });
  }
  let single: Awaited<ReturnType<typeof singleStream>>;
  try {
    single = await singleStream(gguf, web);
  } finally {
    await web?.stop();
  }
  const [direct, server, viaWeb] = single.summaries as [PathSummary, PathSummary, PathSummary | undefined];
  console.log(`concurrent: ${STREAMS} streams over ${ADAPTERS} adapters, ${CONCURRENT_TOKENS} tokens each, ${CONCURRENT_ROUNDS} rounds`);
  const concurrent = await concurrentStreams(gguf, adapters);
  console.log(`  aggregate ${concurrent.tokensPerS} tok/s   TTFT median ${concurrent.medianTtftMs} ms, p95 ${concurrent.p95TtftMs} ms`);
  const result = {
    throughput_ratio: single.web?.ratio ?? single.pairedRatio,
    ttft_overhead_ms: single.web?.ttftOverheadMs ?? single.pairedTtftOverheadMs,
    measured_path: single.web ? 'web app /v1 -> runner inference server' : 'inference server',
    server_throughput_ratio: single.pairedRatio,
    server_ttft_overhead_ms: single.pairedTtftOverheadMs,
    web_best_tokens_per_s: viaWeb?.decodeTokensPerS,
    web_best_ttft_ms: viaWeb?.ttftMs,
    web_path_cpu_ms_per_token: viaWeb?.cpuMsPerToken,
    web_processes_cpu_ms_per_token: viaWeb?.serverCpuMsPerToken,
    concurrent_tokens_per_s: concurrent.tokensPerS,
    concurrent_p95_ttft_ms: concurrent.p95TtftMs,
    direct_best_tokens_per_s: direct.decodeTokensPerS,
    server_best_tokens_per_s: server.decodeTokensPerS,
    direct_best_ttft_ms: direct.ttftMs,
    server_best_ttft_ms: server.ttftMs,
    best_throughput_ratio: round(server.decodeTokensPerS / direct.decodeTokensPerS, 3),
    best_ttft_overhead_ms: round(server.ttftMs - direct.ttftMs, 2),
    direct_cpu_ms_per_token: direct.cpuMsPerToken,
    server_path_cpu_ms_per_token: server.cpuMsPerToken,
    server_process_cpu_ms_per_token: server.serverCpuMsPerToken,
    cpu_cost_ratio: round(server.cpuMsPerToken / direct.cpuMsPerToken, 3),
    direct_ttft_cpu_ms: direct.ttftCpuMs,
    server_ttft_cpu_ms: server.ttftCpuMs,
    concurrent_median_ttft_ms: concurrent.medianTtftMs,
    threads: THREADS,
    tokens: TOKENS,
    runs: RUNS,
    load_average: round(loadavg()[0]!, 2),
  };
  console.log(JSON.stringify(result));
}

await main();
