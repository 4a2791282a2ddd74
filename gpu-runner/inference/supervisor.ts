// Runs the inference server as a child process: start it and wait until it is healthy, restart it
// when it crashes (llama.cpp aborts natively on some bad input, and the process can be killed), and
// stop it. Requests in flight when it dies fail through the client library with a 502; requests
// while it restarts get a 503 with Retry-After; adapters registered through the handle are given
// to every restarted process.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InferenceClient } from '../../server/services/serving/inference-client';
import type { AdapterSpec, GpuChoice } from './engine';
import type { ServerProcessMessage } from './main';
import type { AdapterInfo } from '../../lib/universal/openai/schema';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER_ENTRY = path.join(HERE, 'main.ts');
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const OUTPUT_TAIL_LINES = 40;

export interface RestartPolicy {
  /** Crashes tolerated within `windowMs` before the supervisor gives up (default 5 in 60 s). */
  maxRestarts?: number;
  windowMs?: number;
  /** First delay before a restart, doubled per consecutive crash up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export interface StartInferenceServerOptions {
  modelGguf: string;
  adapters?: AdapterSpec[];
  /** The base model's name in requests (default: the file name without .gguf). */
  name?: string;
  /** Default: a free port, kept across restarts. */
  port?: number;
  host?: string;
  /** Default: a random token. */
  token?: string;
  maxContexts?: number;
  concurrency?: number;
  sequences?: number;
  maxQueue?: number;
  contextSize?: number;
  threads?: number;
  gpu?: GpuChoice;
  /** How long a start may take before the process is killed (default 180 s). */
  startTimeoutMs?: number;
  /** How long running requests may finish on stop (default 10 s). */
  shutdownGraceMs?: number;
  restart?: RestartPolicy | false;
  onLog?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export type InferenceStartErrorCode = 'gguf_not_found' | 'bad_gguf' | 'adapter_mismatch' | 'server_crashed' | 'start_timeout' | 'port_in_use' | 'start_failed';

export class InferenceStartError extends Error {
  constructor(
    readonly code: InferenceStartErrorCode,
    message: string,
    /** The last lines the process wrote, for the operator. */
    readonly output: string,
  ) {
    super(message);
    this.name = 'InferenceStartError';
  }
}

export type SupervisorState = 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped';

export interface CrashInfo {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/**
 * Events: `ready` ({pid, port}) after each successful start, `crash` (CrashInfo) when a running
 * server dies, `restart` ({attempt, delayMs}) before a restart, `failed` (Error) when it gives up.
 */
export class InferenceServerHandle extends EventEmitter {
  readonly client: InferenceClient;
  private child: ChildProcess | null = null;
  private current: Promise<void>;
  private currentState: SupervisorState = 'starting';
  private readonly adapters = new Map<string, string>();
  private readonly crashes: number[] = [];
  private consecutiveCrashes = 0;
  private outputTail: string[] = [];
  restarts = 0;

  constructor(
    private readonly options: StartInferenceServerOptions,
    readonly token: string,
    private portNumber: number,
  ) {
    super();
    for (const adapter of options.adapters ?? []) this.adapters.set(adapter.name, adapter.path);
    this.client = new InferenceClient({ baseUrl: () => this.url, token });
    this.current = Promise.resolve();
  }

  get url(): string {
    return `http://${this.options.host ?? '127.0.0.1'}:${this.portNumber}`;
  }

  get port(): number {
    return this.portNumber;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get state(): SupervisorState {
    return this.currentState;
  }

  /** Resolves when the server is healthy (waiting out a restart); rejects once it has given up. */
  ready(): Promise<void> {
    return this.current;
  }

  /** Registers an adapter now and with every restarted process. */
  async registerAdapter(name: string, adapterPath: string, options: { wake?: boolean } = {}): Promise<AdapterInfo & { replaced: boolean }> {
    const result = await this.client.registerAdapter({ name, path: adapterPath, wake: options.wake });
    this.adapters.set(name, adapterPath);
    return result;
  }

  async removeAdapter(name: string): Promise<void> {
    this.adapters.delete(name);
    await this.client.removeAdapter(name);
  }

  /** Stops the server: SIGTERM, then SIGKILL if it has not exited after the grace period. */
  async stop(): Promise<void> {
    this.currentState = 'stopped';
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const grace = (this.options.shutdownGraceMs ?? 10_000) + 2_000;
    const timer = setTimeout(() => child.kill('SIGKILL'), grace);
    await exited;
    clearTimeout(timer);
  }

  /** @internal Starts the first process; rejects with an InferenceStartError if it does not come up. */
  async start(): Promise<void> {
    this.current = this.spawnOnce();
    await this.current;
  }

  private args(): string[] {
    const o = this.options;
    const args = ['--model', path.resolve(o.modelGguf), '--port', String(this.portNumber), '--host', o.host ?? '127.0.0.1'];
    const add = (flag: string, value: unknown) => {
      if (value !== undefined && value !== null) args.push(flag, String(value));
    };
    add('--name', o.name);
    add('--max-contexts', o.maxContexts);
    add('--concurrency', o.concurrency);
    add('--sequences', o.sequences);
    add('--max-queue', o.maxQueue);
    add('--context-size', o.contextSize);
    add('--threads', o.threads);
    add('--gpu', o.gpu === false ? 'cpu' : o.gpu);
    add('--shutdown-grace-ms', o.shutdownGraceMs);
    for (const [name, adapterPath] of this.adapters) args.push('--adapter', `${name}=${path.resolve(adapterPath)}`);
    return args;
  }

  private remember(line: string): void {
    this.outputTail.push(line);
    if (this.outputTail.length > OUTPUT_TAIL_LINES) this.outputTail.shift();
    this.options.onLog?.(line);
  }

  private output(): string {
    return this.outputTail.join('\n');
  }

  private spawnOnce(): Promise<void> {
    this.outputTail = [];
    return new Promise<void>((resolve, reject) => {
      const child = fork(SERVER_ENTRY, this.args(), {
        execArgv: ['--import', TSX_LOADER],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // The token travels in the environment, not on the command line where `ps` shows it.
        env: { ...process.env, ...this.options.env, LATHE_INFERENCE_TOKEN: this.token, NODE_OPTIONS: '' },
      });
      this.child = child;
      readline.createInterface({ input: child.stdout! }).on('line', (line) => this.remember(line));
      readline.createInterface({ input: child.stderr! }).on('line', (line) => this.remember(line));
      let settled = false;
      const settle = (error?: InferenceStartError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          reject(error);
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        } else {
          resolve();
        }
      };
      const timeoutMs = this.options.startTimeoutMs ?? 180_000;
      const timer = setTimeout(
        () => settle(new InferenceStartError('start_timeout', `The inference server did not become ready within ${Math.round(timeoutMs / 1000)} s.`, this.output())),
        timeoutMs,
      );
      child.on('message', (message: ServerProcessMessage) => {
        if (message.type === 'error') {
          const known: InferenceStartErrorCode[] = ['gguf_not_found', 'bad_gguf', 'adapter_mismatch', 'port_in_use'];
          const code = known.includes(message.code as InferenceStartErrorCode) ? (message.code as InferenceStartErrorCode) : 'start_failed';
          settle(new InferenceStartError(code, message.message, this.output()));
        } else if (message.type === 'ready') {
          this.client
            .health()
            .then(() => {
              if (settled) return;
              this.currentState = 'ready';
              this.consecutiveCrashes = 0;
              settle();
              this.emit('ready', { pid: child.pid, port: message.port });
            })
            .catch((error: unknown) => settle(new InferenceStartError('start_failed', `The inference server started but /health failed: ${(error as Error).message}`, this.output())));
        }
      });
      child.on('error', (error) => settle(new InferenceStartError('start_failed', `Could not start the inference server: ${error.message}`, this.output())));
      child.on('exit', (exitCode, signal) => {
        const status = signal ? `signal ${signal}${signal === 'SIGABRT' ? ' (llama.cpp abort, exit 134)' : ''}` : `exit code ${exitCode}`;
        if (!settled) {
          settle(new InferenceStartError('server_crashed', `The inference server exited (${status}) before it was ready: ${lastMeaningfulLines(this.output())}`, this.output()));
          return;
        }
        if (this.child === child) this.child = null;
        if (this.currentState === 'ready') this.onCrash({ exitCode, signal, output: this.output() });
      });
    });
  }

  private onCrash(info: CrashInfo): void {
    this.emit('crash', info);
    if (!this.recordCrash(info.output)) return;
    this.currentState = 'restarting';
    this.current = this.restartLoop();
    // Whoever awaits ready() sees the outcome; nobody awaiting must not crash the process.
    this.current.catch(() => undefined);
  }

  /** Counts a crash; false (and state `failed`) once the restart policy gives up. */
  private recordCrash(output: string): boolean {
    const policy = this.options.restart === false ? null : (this.options.restart ?? {});
    const now = Date.now();
    const windowMs = policy?.windowMs ?? 60_000;
    this.crashes.push(now);
    while (this.crashes.length > 0 && this.crashes[0]! < now - windowMs) this.crashes.shift();
    if (policy && this.crashes.length <= (policy.maxRestarts ?? 5)) return true;
    const error = new InferenceStartError(
      'server_crashed',
      policy ? `The inference server crashed ${this.crashes.length} times in ${Math.round(windowMs / 1000)} s; not restarting.` : 'The inference server crashed; restarts are off.',
      output,
    );
    this.currentState = 'failed';
    this.current = Promise.reject(error);
    this.current.catch(() => undefined);
    this.emit('failed', error);
    return false;
  }

  private stopped(): boolean {
    return this.currentState === 'stopped';
  }

  private async restartLoop(): Promise<void> {
    const policy = this.options.restart || {};
    for (;;) {
      const delayMs = Math.min(policy.maxBackoffMs ?? 10_000, (policy.backoffMs ?? 250) * 2 ** this.consecutiveCrashes);
      this.consecutiveCrashes++;
      await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      if (this.stopped()) throw new InferenceStartError('start_failed', 'The inference server was stopped.', '');
      this.restarts++;
      this.emit('restart', { attempt: this.restarts, delayMs });
      try {
        await this.spawnOnce();
        return;
      } catch (error) {
        if (this.stopped()) throw error;
        const failure = error as InferenceStartError;
        if (failure.code === 'port_in_use') this.portNumber = await freePort(this.options.host);
        if (!this.recordCrash(failure.output)) throw failure;
      }
    }
  }
}

/** A port nobody listens on right now. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The output lines that explain a failure: errors and aborts, not llama.cpp's info chatter. */
function lastMeaningfulLines(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const important = lines.filter((l) => /error|assert|abort|fail|invalid|missing|unknown|cannot|terminate/i.test(l));
  return (important.length ? important : lines).slice(-3).join(' | ').slice(0, 1000) || 'no output';
}

/**
 * Starts the inference server as a child process and resolves once it answers /health. Rejects
 * with an InferenceStartError (code `bad_gguf`, `gguf_not_found`, `server_crashed`, ...) when it
 * cannot start; the calling process is never affected by what llama.cpp does with the file.
 */
export async function startInferenceServer(options: StartInferenceServerOptions): Promise<InferenceServerHandle> {
  const token = options.token ?? randomBytes(24).toString('hex');
  const port = options.port ?? (await freePort(options.host));
  const handle = new InferenceServerHandle(options, token, port);
  await handle.start();
  return handle;
}
