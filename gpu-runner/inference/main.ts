// The inference server process: one base GGUF, many LoRA adapters, an OpenAI-compatible API.
//
//   tsx gpu-runner/inference/main.ts --model BASE.gguf --port N --token TOKEN
//       [--adapter name=path.gguf ...] [--max-contexts 4] [--concurrency 2] [--context-size 2048] [--threads N]
//
// Started by the supervisor (supervisor.ts) it reports {type: "ready" | "error"} over the IPC
// channel and exits when that channel closes, so it never outlives its parent.
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { InferenceEngine, type AdapterSpec, type GpuChoice } from './engine';
import { GgufCheckError } from './gguf-preflight';
import { startInferenceHttpServer } from './server';

export type ServerProcessMessage =
  | { type: 'ready'; port: number; url: string; pid: number }
  | { type: 'error'; code: string; message: string };

const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { process: 'inference' } });

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function adapterSpec(value: string, previous: AdapterSpec[] = []): AdapterSpec[] {
  const at = value.indexOf('=');
  if (at < 1 || at === value.length - 1) throw new InvalidArgumentError('expected name=path.gguf');
  return [...previous, { name: value.slice(0, at), path: value.slice(at + 1) }];
}

function gpuChoice(value: string): GpuChoice {
  if (value === 'false' || value === 'cpu') return false;
  if (value === 'auto' || value === 'cuda' || value === 'vulkan' || value === 'metal') return value;
  throw new InvalidArgumentError('expected cpu, auto, cuda, vulkan or metal');
}

const program = new Command('lathe-inference')
  .description("Serves a base GGUF and LoRA adapters on it through OpenAI's chat and completions API.")
  .requiredOption('--model <path>', 'base model GGUF')
  .option('--name <name>', "the base model's name in requests (default: the file name without .gguf)")
  .option('--port <n>', 'port to listen on (0: any free port)', (v) => (v === '0' ? 0 : positiveInt(v)), 0)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--token <token>', 'internal bearer token (or LATHE_INFERENCE_TOKEN)')
  .option('--adapter <name=path>', 'LoRA adapter GGUF, repeatable', adapterSpec, [])
  .option('--max-contexts <n>', 'contexts kept at once (one per model name in use)', positiveInt, 4)
  .option('--concurrency <n>', 'generations running at once', positiveInt, 2)
  .option('--sequences <n>', 'parallel requests per model name (default: --concurrency)', positiveInt)
  .option('--max-queue <n>', 'requests waiting beyond --concurrency before 429', (v) => (v === '0' ? 0 : positiveInt(v)), 64)
  .option('--context-size <n>', 'tokens per sequence (default: training context, at most 2048)', positiveInt)
  .option('--threads <n>', 'CPU threads per context', positiveInt)
  .option('--gpu <kind>', 'cpu, auto, cuda, vulkan or metal', gpuChoice, false as GpuChoice)
  .option('--shutdown-grace-ms <n>', 'how long running requests may finish on SIGTERM', positiveInt, 10_000);

function report(message: ServerProcessMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

/** Reports a start-up failure with a stable code and exits 2 once the report has left. */
async function fail(code: string, message: string): Promise<never> {
  process.stderr.write(`lathe-inference: ${message}\n`);
  await report({ type: 'error', code, message });
  process.exit(2);
}

async function main(): Promise<void> {
  program.parse();
  const opts = program.opts<{
    model: string;
    name?: string;
    port: number;
    host: string;
    token?: string;
    adapter: AdapterSpec[];
    maxContexts: number;
    concurrency: number;
    sequences?: number;
    maxQueue: number;
    contextSize?: number;
    threads?: number;
    gpu: GpuChoice;
    shutdownGraceMs: number;
  }>();
  const token = opts.token ?? process.env.LATHE_INFERENCE_TOKEN ?? (await fail('missing_token', 'an internal token is required: --token or LATHE_INFERENCE_TOKEN'));

  const engine = await InferenceEngine.create({
    modelPath: opts.model,
    modelName: opts.name,
    adapters: opts.adapter,
    maxContexts: opts.maxContexts,
    concurrency: opts.concurrency,
    sequencesPerContext: opts.sequences,
    maxQueue: opts.maxQueue,
    contextSize: opts.contextSize,
    threads: opts.threads,
    gpu: opts.gpu,
    onLlamaLog: (level, message) => logger.warn({ level }, `llama.cpp: ${message.trim()}`),
  }).catch((error: unknown) =>
    error instanceof GgufCheckError
      ? fail(error.code, error.message)
      : fail('model_load_failed', `could not load ${opts.model}: ${error instanceof Error ? error.message : String(error)}`),
  );

  const http = await startInferenceHttpServer({ engine, token, host: opts.host, port: opts.port, logger }).catch((error: unknown) =>
    fail(
      (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'port_in_use' : 'listen_failed',
      `cannot listen on ${opts.host}:${opts.port}: ${(error as Error).message}`,
    ),
  );
  logger.info({ url: http.url, model: engine.modelName, adapters: [...engine.adapters.keys()] }, 'inference server ready');
  await report({ type: 'ready', port: http.port, url: http.url, pid: process.pid });

  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down');
    engine.beginShutdown();
    await http.close(opts.shutdownGraceMs);
    await engine.dispose().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('disconnect', () => void shutdown('parent process went away'));
}

main().catch((error: unknown) => {
  logger.error({ err: error }, 'inference server failed');
  process.exit(1);
});
