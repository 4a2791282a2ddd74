// The serving benchmark's path through the whole platform: a web process and a gpu-runner on a
// fresh embedded database in a temporary folder, the benchmark GGUF imported as a base model, and a
// user with an API key and credits. Requests then go openai client → web /v1 → the runner's
// inference server, exactly as a client's would.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { benchUserKey, lathe } from '../lib/lathe-cli';
import { startPlatform } from '../lib/supervisor';
import { childPids } from './cpu-account';

export type WebServing = {
  baseURL: string;
  apiKey: string;
  /** The processes that work for a request: the web process and the runner's inference server(s). */
  pids: () => number[];
  stop: () => Promise<void>;
};

export async function startWebServing({ gguf, modelName, threads, contextSize, log }: { gguf: string; modelName: string; threads: number; contextSize: number; log: (line: string) => void }): Promise<WebServing> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lathe-bench-web-'));
  // The embedded PostgreSQL runs as its own user when started by root: it must reach its folder.
  await chmod(dataDir, 0o755);
  // Always a throwaway embedded database: the benchmark must not write users into a real one.
  delete process.env.DATABASE_URL;
  const lines: string[] = [];
  const platform = await startPlatform({
    dataDir,
    port: 0,
    processes: ['web', 'gpu-runner'],
    env: {
      LOG_LEVEL: 'warn',
      LATHE_EXECUTOR: 'process',
      LATHE_RATE_LIMIT_RPM: '0',
      RUNNER_SERVING_THREADS: String(threads),
      RUNNER_SERVING_CONCURRENCY: '1',
      RUNNER_SERVING_CONTEXT_SIZE: String(contextSize),
    },
    log: (line) => lines.push(line),
  }).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${lines.slice(-30).join('\n')}`);
  });
  try {
    const env = { ...process.env, DATABASE_URL: platform.databaseUrl, LATHE_DATA_DIR: dataDir };
    const email = 'bench@example.test';
    log('importing the benchmark GGUF into the platform ...');
    await lathe(['models', 'import', gguf, '--name', modelName], env);
    const apiKey = await benchUserKey(email, env);
    return {
      baseURL: `${platform.url}/v1`,
      apiKey,
      pids: () => {
        const web = platform.children.get('web')?.pid;
        const runner = platform.children.get('gpu-runner')?.pid;
        return [...(web ? [web] : []), ...(runner ? childPids(runner) : [])];
      },
      stop: async () => {
        await platform.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await platform.stop();
    throw error;
  }
}
