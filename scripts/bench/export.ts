// npm run bench:export — converts a SmolLM2-135M-shaped checkpoint (random BF16 weights) to F16 and
// Q8_0 GGUF in a child process, as the product does, and compares throughput with a plain streamed
// copy of the same bytes measured in the same run. Each measurement is repeated (interleaved, so
// that load from other processes hits all of them alike) and the best run counts. CPU seconds are
// reported too: on a busy machine they show the cost of the conversion itself, which wall time
// hides. The last line is one JSON object.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { checkGgufLoads } from '../../server/services/model-format/convert/check-gguf-loads';
import { runConversion } from '../../server/services/model-format/convert/run-conversion';
import { writeRandomModel } from '../../tests/kit/models/random-model';

const MB = 1e6;
const REPEATS = Number(process.env.LATHE_BENCH_REPEATS ?? 3);
const THREADS = process.env.LATHE_BENCH_THREADS === undefined ? undefined : Number(process.env.LATHE_BENCH_THREADS);
const SMOLLM2_135M = { hiddenSize: 576, intermediateSize: 1536, numLayers: 30, numHeads: 9, numKvHeads: 3, vocabSize: 49152, contextLength: 8192, ropeTheta: 100000 };

async function streamedCopy(from: string, to: string): Promise<number> {
  const started = performance.now();
  await pipeline(createReadStream(from, { highWaterMark: 4 * 1024 * 1024 }), createWriteStream(to, { highWaterMark: 4 * 1024 * 1024 }));
  const handle = await open(to, 'r');
  await handle.sync();
  await handle.close();
  return (performance.now() - started) / 1000;
}

async function main() {
  const root = await mkdtemp(path.join(process.env.LATHE_BENCH_DIR ?? os.tmpdir(), 'lathe-bench-export-'));
  try {
    console.log('writing a SmolLM2-135M-shaped checkpoint with random BF16 weights…');
    const modelDir = path.join(root, 'smollm2-135m');
    await writeRandomModel({ dir: modelDir, dtype: 'BF16', tieWordEmbeddings: true, seed: 135, ...SMOLLM2_135M });
    const input = path.join(modelDir, 'model.safetensors');
    const inputBytes = (await stat(input)).size;
    const largestTensorElements = SMOLLM2_135M.vocabSize * SMOLLM2_135M.hiddenSize;

    // The same child converting a tiny model: its peak RSS is the fixed cost of the process.
    const tinyDir = path.join(root, 'tiny');
    await writeRandomModel({ dir: tinyDir, seed: 1 });
    const baseline = await runConversion({ kind: 'model', modelDir: tinyDir, outFile: path.join(root, 'tiny.gguf'), type: 'F16' });
    const baselineRssMb = baseline.maxRssBytes / MB;
    console.log(`conversion process baseline (tiny model): ${baselineRssMb.toFixed(0)} MB RSS, ${(baseline.durationMs / 1000).toFixed(2)} s`);

    // Warm the page cache so that every measurement reads from memory alike.
    await streamedCopy(input, path.join(root, 'warm.bin'));
    await rm(path.join(root, 'warm.bin'));

    const copyTimes: number[] = [];
    // seconds: the conversion inside the child; wallSeconds adds starting the child (a fixed ~1 s).
    const runs: Record<'F16' | 'Q8_0', { seconds: number; wallSeconds: number; cpuSeconds: number; outputBytes: number; peakRssMb: number }[]> = { F16: [], Q8_0: [] };
    for (let round = 1; round <= REPEATS; round++) {
      copyTimes.push(await streamedCopy(input, path.join(root, 'copy.bin')));
      await rm(path.join(root, 'copy.bin'));
      for (const type of ['F16', 'Q8_0'] as const) {
        const outFile = path.join(root, `model-${type}.gguf`);
        const outcome = await runConversion({ kind: 'model', modelDir, outFile, type, threads: THREADS });
        runs[type].push({ seconds: outcome.conversionMs / 1000, wallSeconds: outcome.durationMs / 1000, cpuSeconds: outcome.cpuMs / 1000, outputBytes: outcome.bytes, peakRssMb: outcome.maxRssBytes / MB });
        if (round === REPEATS) {
          const check = await checkGgufLoads({ modelGguf: outFile });
          console.log(`${type}: llama.cpp load ${check.ok ? 'ok' : `failed: ${check.message}`}`);
        }
        await rm(outFile);
      }
      const last = (type: 'F16' | 'Q8_0') => runs[type].at(-1)!;
      console.log(
        `round ${round}: copy ${copyTimes.at(-1)!.toFixed(2)} s, F16 ${last('F16').seconds.toFixed(2)} s (${last('F16').wallSeconds.toFixed(2)} s with process start, ${last('F16').peakRssMb.toFixed(0)} MB RSS), ` +
          `Q8_0 ${last('Q8_0').seconds.toFixed(2)} s (${last('Q8_0').wallSeconds.toFixed(2)} s, ${last('Q8_0').peakRssMb.toFixed(0)} MB RSS)`,
      );
    }
    const copySeconds = Math.min(...copyTimes);
    const copyMbS = (2 * inputBytes) / MB / copySeconds;
    const best = (type: 'F16' | 'Q8_0') => {
      const run = runs[type].reduce((a, b) => (b.seconds < a.seconds ? b : a));
      const wall = Math.min(...runs[type].map((r) => r.wallSeconds));
      return { ...run, mbS: (inputBytes + run.outputBytes) / MB / run.seconds, wallSeconds: wall, wallMbS: (inputBytes + run.outputBytes) / MB / wall };
    };
    const f16 = best('F16');
    const q8 = best('Q8_0');
    console.log(`best of ${REPEATS}: copy ${copyMbS.toFixed(0)} MB/s, F16 ${f16.mbS.toFixed(0)} MB/s, Q8_0 ${q8.mbS.toFixed(0)} MB/s (read + written)`);
    const peakRssMb = Math.max(...[...runs.F16, ...runs.Q8_0].map((r) => r.peakRssMb));
    const result = {
      input_mb: +(inputBytes / MB).toFixed(1),
      f16_output_mb: +(f16.outputBytes / MB).toFixed(1),
      q8_0_output_mb: +(q8.outputBytes / MB).toFixed(1),
      f16_s: +f16.seconds.toFixed(2),
      q8_0_s: +q8.seconds.toFixed(2),
      copy_s: +copySeconds.toFixed(2),
      f16_mb_s: +f16.mbS.toFixed(0),
      q8_0_mb_s: +q8.mbS.toFixed(0),
      copy_mb_s: +copyMbS.toFixed(0),
      f16_cpu_s: +Math.min(...runs.F16.map((r) => r.cpuSeconds)).toFixed(2),
      q8_0_cpu_s: +Math.min(...runs.Q8_0.map((r) => r.cpuSeconds)).toFixed(2),
      f16_wall_s: +f16.wallSeconds.toFixed(2),
      q8_0_wall_s: +q8.wallSeconds.toFixed(2),
      f16_wall_mb_s: +f16.wallMbS.toFixed(0),
      q8_0_wall_mb_s: +q8.wallMbS.toFixed(0),
      f16_vs_copy: +(f16.mbS / copyMbS).toFixed(2),
      q8_0_vs_copy: +(q8.mbS / copyMbS).toFixed(2),
      peak_rss_mb: +peakRssMb.toFixed(0),
      baseline_rss_mb: +baselineRssMb.toFixed(0),
      baseline_s: +(baseline.durationMs / 1000).toFixed(2),
      largest_tensor_bf16_mb: +((largestTensorElements * 2) / MB).toFixed(1),
      largest_tensor_f32_mb: +((largestTensorElements * 4) / MB).toFixed(1),
      repeats: REPEATS,
    };
    console.log(JSON.stringify(result));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
