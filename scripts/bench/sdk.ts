// SDK benchmark: what @lathe/sdk costs over the plainest client, side by side in one run.
//   npm run bench:sdk
//   npm run bench:sdk -- --runs 41 --upload-mb 200
//
// 1. Time to first token of a streamed chat through `lathe.chat.completions.create` against raw
//    `fetch` of the same request (same web process, runner and model; the two alternate run by run
//    and the figure is the p50 of the per-round differences, so load that comes and goes hits both).
// 2. A dataset upload through `lathe.datasets.upload` (tus, the whole file in one PATCH) against one plain HTTP PUT
//    of the same bytes to a loopback server that reads and discards them: throughput ratio SDK/PUT.
//    The SDK's figure includes what the platform does with the bytes (the upload store in
//    PostgreSQL, the artifact store), so the ratio says what an integrator sees, not the SDK alone;
//    `upload_sdk_vs_raw_tus` compares it with the same bytes sent to the same endpoint in one raw
//    tus PATCH, which isolates the SDK's share.
//    After one small warm-up upload, `--upload-rounds` rounds (default 3) of one PUT and one SDK
//    upload in alternating order; the ratio is the median of the rounds' ratios, each round's is
//    printed too. The CPU each side spent is printed as well: the PUT's (client and sink are this
//    one process), the SDK client's (this process) and the web process's during the SDK upload.
// 3. Webhook delivery latency: p50/p99 from emitting an event to the signed request arriving, for
//    1,000 events over 20 endpoints (scripts/bench/webhook-delivery.ts, run after the SDK figures on
//    its own embedded database so it does not share the serving stack's load).
// The model is a small random-weight Llama (scripts/bench/serving-web.ts serves it). The last line
// printed is one JSON object.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLathe } from '../../packages/sdk/src/index';
import { runConversion } from '../../server/services/model-format/convert/run-conversion';
import { writeRandomModel } from '../../tests/kit/models/random-model';
import { startWebServing } from './serving-web';
import { plainPutSeconds } from './plain-put';
import { benchWebhookDelivery } from './webhook-delivery';
import { cpuSnapshot, cpuSpent } from './cpu-account';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '31' }, 'upload-mb': { type: 'string', default: '200' }, 'upload-rounds': { type: 'string', default: '3' }, 'webhook-events': { type: 'string', default: '1000' } } });
const RUNS = Number(args.runs);
const UPLOAD_BYTES = Number(args['upload-mb']) * 1_000_000;
const UPLOAD_ROUNDS = Number(args['upload-rounds']);
const MODEL = 'bench-sdk-tiny';

const p50 = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
};
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const cpuMs = (usage: NodeJS.CpuUsage) => Math.round((usage.user + usage.system) / 1000);

async function main() {
  const work = await mkdtemp(path.join(tmpdir(), 'lathe-bench-sdk-'));
  process.env.LATHE_MAX_UPLOAD_BYTES = String(UPLOAD_BYTES * 2);
  const model = await writeRandomModel({ dir: path.join(work, 'model'), hiddenSize: 128, intermediateSize: 384, numLayers: 2, numHeads: 4, numKvHeads: 2, contextLength: 1024, seed: 7 });
  const gguf = path.join(work, 'model.gguf');
  await runConversion({ kind: 'model', modelDir: model.dir, outFile: gguf, type: 'F32', name: MODEL });
  const serving = await startWebServing({ gguf, modelName: MODEL, threads: 1, contextSize: 512, log: (line) => console.error(line) });
  try {
    const baseUrl = serving.baseURL.replace(/\/v1$/, '');
    const lathe = createLathe({ apiKey: serving.apiKey, baseUrl });
    const body = { model: MODEL, messages: [{ role: 'user' as const, content: 'Say something.' }], max_tokens: 4, temperature: 0, stream: true as const };

    const viaFetch = async () => {
      const start = performance.now();
      const response = await fetch(`${serving.baseURL}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${serving.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      let first = NaN;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        if (Number.isNaN(first) && /"content":"[^"]/.test(text)) first = performance.now() - start;
      }
      return first;
    };
    const viaSdk = async () => {
      const start = performance.now();
      let first = NaN;
      for await (const chunk of await lathe.chat.completions.create(body)) {
        if (Number.isNaN(first) && chunk.choices[0]?.delta.content) first = performance.now() - start;
      }
      return first;
    };
    // Warm-up: the deployment loads on the first request.
    for (let i = 0; i < 3; i++) {
      await viaFetch();
      await viaSdk();
    }
    const sdk: number[] = [];
    const raw: number[] = [];
    const diffs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const [a, b] = i % 2 === 0 ? [await viaSdk(), await viaFetch()] : [await viaFetch(), await viaSdk()].reverse();
      sdk.push(a!);
      raw.push(b!);
      diffs.push(a! - b!);
    }

    // Upload: the same bytes through the SDK and as one plain PUT to a discarding loopback server.
    const file = path.join(work, 'upload.jsonl');
    const line = `${JSON.stringify({ messages: [{ role: 'user', content: 'What is two and two?' }, { role: 'assistant', content: 'Four.' }] })}\n`;
    await writeFile(file, line.repeat(Math.ceil(UPLOAD_BYTES / line.length)));
    const size = Math.ceil(UPLOAD_BYTES / line.length) * line.length;
    // One small upload first, as the chat runs warm up: the first request's one-time work (the
    // upload server's creation, compiling the hot path) is not what a 200 MB upload measures.
    const warm = path.join(work, 'warm.jsonl');
    await writeFile(warm, line.repeat(2000));
    await lathe.datasets.upload(warm, { filename: 'warm.jsonl' });
    // Rounds of one PUT and one SDK upload, in alternating order; the figures are the medians.
    const groups = { web: serving.pids().slice(0, 1) };
    const putOnce = async () => {
      const cpu = process.cpuUsage();
      const seconds = await plainPutSeconds(file, size);
      return { seconds, cpu: cpuMs(process.cpuUsage(cpu)) };
    };
    // CPU of each side of the SDK upload: this process is the client, the web process the server.
    const uploadOnce = async (filename: string) => {
      const before = cpuSnapshot(groups.web);
      const cpu = process.cpuUsage();
      const start = performance.now();
      await lathe.datasets.upload(file, { filename });
      const seconds = (performance.now() - start) / 1000;
      return { seconds, cpu: cpuMs(process.cpuUsage(cpu)), web: cpuSpent(before, cpuSnapshot(groups.web), groups).web ?? null };
    };
    const rounds: { put: number; sdk: number; putCpu: number; clientCpu: number; webCpu: number | null }[] = [];
    for (let i = 0; i < UPLOAD_ROUNDS; i++) {
      let p: Awaited<ReturnType<typeof putOnce>>;
      let q: Awaited<ReturnType<typeof uploadOnce>>;
      if (i % 2 === 0) {
        p = await putOnce();
        q = await uploadOnce(`bench-${i}.jsonl`);
      } else {
        q = await uploadOnce(`bench-${i}.jsonl`);
        p = await putOnce();
      }
      rounds.push({ put: p.seconds, sdk: q.seconds, putCpu: p.cpu, clientCpu: q.cpu, webCpu: q.web });
    }
    const putSeconds = p50(rounds.map((r) => r.put));
    const sdkSeconds = p50(rounds.map((r) => r.sdk));
    // The same bytes to the same tus endpoint without the SDK: one creation and one PATCH of the
    // whole file, so the SDK's own share can be told from what the platform's upload store costs.
    const rawStart = performance.now();
    const created = await fetch(`${baseUrl}/api/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${serving.apiKey}`, 'tus-resumable': '1.0.0', 'upload-length': String(size), 'upload-metadata': `filename ${Buffer.from('raw.jsonl').toString('base64')}` },
    });
    const location = new URL(created.headers.get('location')!, baseUrl).toString();
    const patched = await fetch(location, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${serving.apiKey}`, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(size) },
      body: Readable.toWeb(createReadStream(file)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    if (!patched.ok) throw new Error(`raw tus PATCH answered ${patched.status}: ${await patched.text()}`);
    const rawSeconds = (performance.now() - rawStart) / 1000;

    const figures = {
      ttft_sdk_p50_ms: round(p50(sdk)),
      ttft_fetch_p50_ms: round(p50(raw)),
      ttft_overhead_p50_ms: round(p50(diffs)),
      ttft_runs: RUNS,
      upload_bytes: size,
      upload_sdk_mb_s: round(size / 1e6 / sdkSeconds),
      upload_put_mb_s: round(size / 1e6 / putSeconds),
      upload_ratio: round(p50(rounds.map((r) => r.put / r.sdk)), 3),
      upload_ratios: rounds.map((r) => round(r.put / r.sdk, 3)),
      upload_put_cpu_ms: p50(rounds.map((r) => r.putCpu)),
      upload_sdk_client_cpu_ms: p50(rounds.map((r) => r.clientCpu)),
      // Unknown (null) where the web process's /proc entry could not be read, as for one upload before.
      upload_sdk_web_cpu_ms: rounds.some((r) => r.webCpu === null) ? null : p50(rounds.map((r) => r.webCpu!)),
      upload_raw_tus_mb_s: round(size / 1e6 / rawSeconds),
      upload_sdk_vs_raw_tus: round(rawSeconds / sdkSeconds, 3),
    };
    return figures;
  } finally {
    await serving.stop();
    await rm(work, { recursive: true, force: true });
  }
}

const figures = await main();
const webhooks = await benchWebhookDelivery({ events: Number(args['webhook-events']), endpoints: 20, log: (line) => console.error(line) });
console.log(
  JSON.stringify({
    ...figures,
    webhook_delivery_p50_ms: round(webhooks.p50Ms),
    webhook_delivery_p99_ms: round(webhooks.p99Ms),
    webhook_events: webhooks.events,
    webhook_endpoints: webhooks.endpoints,
    cpus: cpus().length,
    load_avg_1m: round(loadavg()[0]!, 1),
  }),
);
process.exit(0);
