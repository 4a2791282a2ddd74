// Brings the platform up: the database (embedded unless DATABASE_URL is set), migrations, the
// production build of the web app when sources changed, then web, worker and gpu-runner as
// child processes that are restarted if they crash. Used by `npm start` and by the tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { resolveDatabase } from '@/server/db/embedded';
import { applyMigrations } from '@/server/db/migrate';
import { chooseExecutor } from '@/gpu-runner/host';
import { setUpTrainerEnvironment } from '@/server/services/platform/trainer-environment';
import { stripClientRuntimeFromPublicPages } from './static-public-pages';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BUILD_INPUTS = ['app', 'components', 'lib', 'server', 'messages', 'i18n', 'public', 'content', 'next.config.ts', 'source.config.ts', 'package-lock.json', 'postcss.config.mjs', 'scripts/lib/static-public-pages.ts'];
const BUILD_STAMP = path.join(ROOT, '.next', 'lathe-build-hash');

export type ProcessName = 'web' | 'worker' | 'gpu-runner';
/** A child's key in `Platform.children`: its process name, or `gpu-runner-N` for the Nth runner when there are several. */
export type ChildName = ProcessName | `gpu-runner-${number}`;
const ENTRIES: Record<ProcessName, string> = {
  web: 'server/web-server.ts',
  worker: 'worker/main.ts',
  'gpu-runner': 'gpu-runner/main.ts',
};

export type PlatformOptions = {
  dataDir?: string;
  /** 0 picks an ephemeral port; unset tries PORT (default 3000) and the next free ones. */
  port?: number;
  processes?: ProcessName[];
  /** How many gpu-runner processes to start (default 1): children `gpu-runner`, `gpu-runner-2`, ..., each with its own RUNNER_NAME. */
  runners?: number;
  /** Restart children that exit (default true); tests that kill one on purpose turn it off. */
  restart?: boolean;
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
  /** Pipe children's output to this process's stdout/stderr (npm start) or into `log` (tests). */
  inheritOutput?: boolean;
};

/** What the runner this platform started trains with, or why it cannot (for the start banner). */
export type PlatformTrainer =
  | { available: true; executor: 'docker' | 'process'; python: string | null }
  | { available: false; executor: 'process'; reason: string; fix: string; attempts: string[] };

export type Platform = {
  url: string;
  databaseUrl: string;
  stop: () => Promise<void>;
  children: Map<ChildName, ChildProcess>;
  /** Null when this platform starts no gpu-runner. */
  trainer: PlatformTrainer | null;
};

/**
 * The Python the process executor will train with, set up when none has torch. A Docker executor
 * trains in its image and needs none. Never fails the start: a platform that cannot train still
 * serves models, and says why it cannot train.
 */
async function prepareTrainer(dataDir: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<PlatformTrainer> {
  const preference = env.LATHE_EXECUTOR === 'docker' || env.LATHE_EXECUTOR === 'process' ? env.LATHE_EXECUTOR : 'auto';
  const executor = await chooseExecutor(preference, env.DOCKER_HOST || undefined);
  if (executor === 'docker') return { available: true, executor, python: null };
  const { environment, attempts } = await setUpTrainerEnvironment({ dataDir, env, log });
  if (environment.available) return { available: true, executor, python: environment.python };
  return { available: false, executor, reason: environment.reason, fix: environment.fix, attempts };
}

function authSecret(dataDir: string) {
  if (process.env.AUTH_SECRET) return process.env.AUTH_SECRET;
  const file = path.join(dataDir, 'auth-secret');
  if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return fs.readFileSync(file, 'utf8').trim();
}

/** The secret the web app and the runners' inference servers share, kept beside auth-secret. */
function internalToken(dataDir: string) {
  if (process.env.LATHE_INTERNAL_TOKEN) return process.env.LATHE_INTERNAL_TOKEN;
  const file = path.join(dataDir, 'internal-token');
  if (!fs.existsSync(file)) {
    // Written aside and linked into place: platforms starting at once on one data folder must all
    // read the one complete token that won.
    const staged = `${file}.${process.pid}-${randomBytes(4).toString('hex')}`;
    fs.writeFileSync(staged, randomBytes(32).toString('hex'), { mode: 0o600 });
    try {
      fs.linkSync(staged, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      fs.rmSync(staged, { force: true });
    }
  }
  return fs.readFileSync(file, 'utf8').trim();
}

function hashSources(): string {
  const hash = createHash('sha256');
  const walk = (p: string) => {
    const full = path.join(ROOT, p);
    if (!fs.existsSync(full)) return;
    const stat = fs.statSync(full);
    if (stat.isDirectory()) {
      if (p.endsWith('generated') || p.includes('node_modules')) return;
      for (const name of fs.readdirSync(full).sort()) walk(path.join(p, name));
    } else if (!p.endsWith('.test.ts')) {
      hash.update(`${p}:${stat.size}:${stat.mtimeMs}\n`);
    }
  };
  BUILD_INPUTS.forEach(walk);
  return hash.digest('hex');
}

const BUILD_LOCK = path.join(ROOT, '.next-build.lock');

function pidAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One build at a time across processes (tests and `npm start` may race): a lock file with the builder's pid. */
async function withBuildLock<T>(fn: () => T): Promise<T> {
  for (;;) {
    try {
      fs.writeFileSync(BUILD_LOCK, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(fs.readFileSync(BUILD_LOCK, 'utf8'));
      if (!pidAlive(holder)) fs.rmSync(BUILD_LOCK, { force: true });
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(BUILD_LOCK, { force: true });
  }
}

/** Runs `next build` (then serves the public pages without the App Router's client) unless the last build saw the same sources. */
export async function ensureWebBuild(log: (line: string) => void = console.log) {
  // `npm test` builds once before the tests start; rebuilding under running servers (because a
  // file changed mid-run) would pull .next from under them.
  if (process.env.LATHE_WEB_BUILT === '1') return;
  await withBuildLock(() => buildIfStale(log));
}

function buildIfStale(log: (line: string) => void) {
  const current = hashSources();
  if (fs.existsSync(BUILD_STAMP) && fs.readFileSync(BUILD_STAMP, 'utf8') === current) return;
  log('lathe: building the web app (first start or sources changed)…');
  const res = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/next/dist/bin/next'), 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LATHE_SKIP_ENV_VALIDATION: '1', NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`next build failed:\n${res.stdout}\n${res.stderr}`);
  stripClientRuntimeFromPublicPages(path.join(ROOT, '.next'));
  fs.writeFileSync(BUILD_STAMP, current);
}

async function portFree(port: number) {
  return new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/** A port the OS reports free right now (tests use these to stay off each other's ports). */
export async function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function findPort(preferred: number) {
  for (let port = preferred; port < preferred + 50; port++) if (await portFree(port)) return port;
  throw new Error(`no free port in ${preferred}-${preferred + 49}`);
}

async function waitForHealth(url: string, child: ChildProcess, instance: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`web process exited with code ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(`${url}/api/health`);
      // The instance id proves the answer comes from the process started here, not from another
      // server that took the port in the meantime.
      if (res.ok && ((await res.json()) as { instance?: string }).instance === instance) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`web did not become healthy within ${timeoutMs / 1000}s`);
}

export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const log = options.log ?? console.log;
  const dataDir = path.resolve(options.dataDir ?? process.env.LATHE_DATA_DIR ?? path.join(ROOT, '.lathe'));
  fs.mkdirSync(dataDir, { recursive: true });
  const processes = options.processes ?? ['web', 'worker', 'gpu-runner'];
  // Alongside the database and the build: probing the interpreter imports torch, a second or two.
  const trainerReady = processes.includes('gpu-runner')
    ? prepareTrainer(dataDir, { ...process.env, ...options.env } as NodeJS.ProcessEnv, log).catch(
        (error: unknown): PlatformTrainer => ({
          available: false,
          executor: 'process',
          reason: `setting up the trainer's Python failed (${error instanceof Error ? error.message : String(error)})`,
          fix: 'npx lathe doctor',
          attempts: [],
        }),
      )
    : Promise.resolve(null);
  const database = await resolveDatabase({ dataDir });
  const applied = await applyMigrations({ databaseUrl: database.url, rootDir: ROOT });
  if (applied.length) log(`lathe: applied ${applied.length} migration(s)`);
  await ensureWebBuild(log);
  const trainer = await trainerReady;

  const port = options.port === 0 ? await ephemeralPort() : (options.port ?? (await findPort(Number(process.env.PORT ?? 3000))));
  const url = process.env.PUBLIC_URL ?? `http://localhost:${port}`;
  const instance = randomBytes(8).toString('hex');
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: database.url,
    LATHE_DATA_DIR: dataDir,
    AUTH_SECRET: authSecret(dataDir),
    LATHE_INTERNAL_TOKEN: internalToken(dataDir),
    PORT: String(port),
    PUBLIC_URL: url,
    LATHE_INSTANCE_ID: instance,
    WEB_OPS_PORT: process.env.WEB_OPS_PORT ?? '0',
    WORKER_OPS_PORT: process.env.WORKER_OPS_PORT ?? '0',
    RUNNER_OPS_PORT: process.env.RUNNER_OPS_PORT ?? '0',
    // The runner's process executor trains with the interpreter found or set up above.
    ...(trainer?.available && trainer.python ? { LATHE_PYTHON: trainer.python } : {}),
    ...options.env,
  } as NodeJS.ProcessEnv;

  const children = new Map<ChildName, ChildProcess>();
  let stopping = false;
  const restarts: number[] = [];

  const runners = options.runners ?? 1;
  const runnerName = childEnv.RUNNER_NAME || os.hostname();
  const launch = (name: ChildName) => {
    const index = name === 'gpu-runner' ? 1 : name.startsWith('gpu-runner-') ? Number(name.slice('gpu-runner-'.length)) : 0;
    const entry = index ? ENTRIES['gpu-runner'] : ENTRIES[name as ProcessName];
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
      cwd: ROOT,
      env: index && runners > 1 ? { ...childEnv, RUNNER_NAME: `${runnerName}-${index}` } : childEnv,
      stdio: options.inheritOutput ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    if (!options.inheritOutput) {
      child.stdout?.on('data', (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach((l) => log(`[${name}] ${l}`)));
      child.stderr?.on('data', (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach((l) => log(`[${name}] ${l}`)));
    }
    child.on('exit', (code, signal) => {
      if (stopping) return;
      if (options.restart === false) return log(`lathe: ${name} exited (${signal ?? code})`);
      const now = Date.now();
      restarts.push(now);
      const recent = restarts.filter((t) => now - t < 60_000).length;
      log(`lathe: ${name} exited (${signal ?? code}); ${recent <= 5 ? 'restarting' : 'crashing repeatedly, not restarting'}`);
      if (recent <= 5) setTimeout(() => !stopping && launch(name), 1000);
    });
    children.set(name, child);
    return child;
  };

  for (const name of processes) launch(name);
  if (processes.includes('gpu-runner')) for (let i = 2; i <= runners; i++) launch(`gpu-runner-${i}`);
  if (processes.includes('web')) await waitForHealth(`http://127.0.0.1:${port}`, children.get('web')!, instance);

  return {
    url,
    databaseUrl: database.url,
    children,
    trainer,
    stop: async () => {
      stopping = true;
      await Promise.all(
        [...children.values()].map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
              child.once('exit', () => (clearTimeout(kill), resolve()));
              child.kill('SIGTERM');
            }),
        ),
      );
      await database.release();
    },
  };
}
