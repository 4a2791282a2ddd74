// Runs the trainer as a child process of the runner (the default when no Docker engine answers).
//
// With `warm`, one spare interpreter (`python3 -m lathe_trainer.spare`) waits with torch and the
// trainer already imported, and the next single-process job is handed to it as a JSON line on its
// stdin: the import is 1.2-1.5 s of an idle core; a job handed to a waiting spare reports `started`
// 35-65 ms after start() on the tiny fixture (docs/benchmarks.md, Dispatch). After a spare is used,
// the next one starts once that job has made its first step (or ended), so its import does not slow
// the job's own start. A spare that is missing, dead or unsuitable never fails a job: it starts cold.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import os from 'node:os';
import { trainerEnv, trainerPython } from '@/gpu-runner/trainer/python';
import {
  DEFAULT_CANCEL_GRACE_MS,
  dispatchStdout,
  lineSplitter,
  prepareOutput,
  threadsPerProcess,
  trainerArguments,
  trainerProcesses,
  type TrainerExecutor,
  type TrainerExit,
  type TrainerJobSpec,
  type TrainerRun,
  type TrainerRunHandlers,
} from './types';

export interface ProcessExecutorOptions {
  /** Interpreter with torch (default: LATHE_PYTHON or /usr/bin/python3). */
  python?: string;
  /**
   * Keep a spare trainer interpreter for the next job (the gpu-runner's RUNNER_WARM_TRAINER). Off
   * unless asked: a spare holds an interpreter's memory, and its start takes a core for a second or
   * two while other work may be running.
   */
  warm?: boolean;
  /** Told when a spare dies before it is used (the next job starts cold and another spare follows). */
  onSpareLost?: (details: { pid: number; ready: boolean; exitCode: number | null; signal: NodeJS.Signals | null; stderr: string }) => void;
}

export interface ProcessExecutor extends TrainerExecutor {
  readonly kind: 'process';
  /** Starts a spare now if none is waiting (a no-op unless `warm`). */
  warm(): void;
  /** Kills the waiting spare and starts no more; running jobs are not touched. */
  close(): Promise<void>;
  /** Process id of the spare waiting for a job, if any. */
  readonly sparePid: number | undefined;
}

/**
 * Environment variables read when the interpreter, glibc or torch's native libraries load: a spare
 * started with other values than a job's would run that job with the wrong ones. Everything else
 * (CUDA_VISIBLE_DEVICES included: nothing touches CUDA before the job) is read after the hand-over.
 */
const LOAD_TIME_ENV = /^(PYTHON|LD_|GLIBC_TUNABLES$|MALLOC_|OMP_|GOMP_|KMP_|MKL_|OPENBLAS_|TORCH_|PYTORCH_)/;

/** Blank arguments the spare writes the job's command line over, so ps and /proc show the job. */
const CMDLINE_ROOM = ' '.repeat(4096);

/** How long a spare may take to take its job (it may still be importing torch) before the job starts cold. */
const TAKE_TIMEOUT_MS = 60_000;

/** Pre-job output a spare keeps for its job's handlers (torch's import warnings, say). */
const MAX_BUFFERED_BYTES = 64 * 1024;

interface Spare {
  child: ChildProcess;
  pid: number;
  python: string;
  env: NodeJS.ProcessEnv;
  /** It said `ready`: torch and the trainer are imported. */
  ready: boolean;
  exited: boolean;
  stdout: Buffer[];
  stderr: Buffer[];
  buffered: number;
  /** True once the spare reports it has read its job; false when it closes first. */
  took: Promise<boolean>;
  onStdout: (chunk: Buffer) => void;
  onStderr: (chunk: Buffer) => void;
}

type Work = { argv: string[]; env: NodeJS.ProcessEnv };

function jobEnv(spec: TrainerJobSpec): NodeJS.ProcessEnv {
  const gpus = spec.gpus ?? [];
  return trainerEnv({
    ...spec.env,
    CUDA_VISIBLE_DEVICES: gpus.join(','),
    ...(gpus.length === 0 ? { LATHE_DEVICE: 'cpu' } : {}),
    ...(spec.cpus ? { LATHE_THREADS: threadsPerProcess(spec) } : {}),
  });
}

function loadTimeEnvAgrees(a: NodeJS.ProcessEnv, b: NodeJS.ProcessEnv): boolean {
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (LOAD_TIME_ENV.test(key) && a[key] !== b[key]) return false;
  }
  return true;
}

function streams(child: ChildProcess): Socket[] {
  return child.stdio.filter((s): s is Socket => s !== null && typeof (s as Socket).unref === 'function') as Socket[];
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Follows a trainer process (cold or a spare that took its job) to its exit, with cancel by process group. */
function trackRun(child: ChildProcess, pid: number, handlers: TrainerRunHandlers, earlier: { stdout: Buffer[]; stderr: Buffer[] } = { stdout: [], stderr: [] }): TrainerRun {
  const stdout = lineSplitter(dispatchStdout(handlers));
  const stderr = lineSplitter((line) => handlers.onStderrLine?.(line));
  for (const chunk of earlier.stderr) stderr.push(chunk);
  for (const chunk of earlier.stdout) stdout.push(chunk);
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));

  let cancelled = false;
  let killedByUs = false;
  let killTimer: NodeJS.Timeout | undefined;
  const exit = new Promise<TrainerExit>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(killTimer);
      stdout.end();
      stderr.end();
      const exitCode = code ?? 128 + (signal ? os.constants.signals[signal] : 0);
      resolve({ exitCode, oomKilled: signal === 'SIGKILL' && !killedByUs, cancelled });
    };
    child.on('close', finish);
  });
  let exited = false;
  void exit.then(() => {
    exited = true;
  });

  return {
    executor: 'process',
    id: String(pid),
    exit,
    async cancel(graceMs = DEFAULT_CANCEL_GRACE_MS) {
      if (exited) return;
      cancelled = true;
      signalGroup(pid, 'SIGTERM');
      clearTimeout(killTimer);
      killTimer = setTimeout(() => {
        killedByUs = true;
        signalGroup(pid, 'SIGKILL');
      }, graceMs);
      await exit;
    },
  };
}

export function createProcessExecutor(options: ProcessExecutorOptions = {}): ProcessExecutor {
  const warmEnabled = options.warm === true;
  let spare: Spare | undefined;
  let closed = false;

  const startSpare = (): void => {
    if (!warmEnabled || closed || (spare && !spare.exited)) return;
    const python = options.python ?? trainerPython();
    const env = trainerEnv();
    // Its own process group, like a cold trainer, so a job's cancel reaches it the same way.
    const child = spawn(python, ['-m', 'lathe_trainer.spare', '--control-fd', '3', '--cmdline-room', CMDLINE_ROOM], {
      env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    child.on('error', () => {});
    child.stdin!.on('error', () => {});
    if (pid === undefined) return;
    let resolveTook!: (took: boolean) => void;
    const entry: Spare = {
      child,
      pid,
      python,
      env,
      ready: false,
      exited: false,
      stdout: [],
      stderr: [],
      buffered: 0,
      took: new Promise((resolve) => (resolveTook = resolve)),
      onStdout: (chunk) => keep(entry.stdout, chunk),
      onStderr: (chunk) => keep(entry.stderr, chunk),
    };
    const keep = (into: Buffer[], chunk: Buffer) => {
      if (entry.buffered + chunk.length > MAX_BUFFERED_BYTES) return;
      entry.buffered += chunk.length;
      into.push(chunk);
    };
    child.stdout!.on('data', entry.onStdout);
    child.stderr!.on('data', entry.onStderr);
    const control = lineSplitter((line) => {
      if (line === 'ready') entry.ready = true;
      else if (line === 'took') resolveTook(true);
    });
    child.stdio[3]!.on('data', (chunk: Buffer) => control.push(chunk));
    child.on('exit', (exitCode, signal) => {
      entry.exited = true;
      if (spare !== entry) return;
      spare = undefined;
      if (!closed) options.onSpareLost?.({ pid, ready: entry.ready, exitCode, signal, stderr: Buffer.concat(entry.stderr).toString().slice(-2000) });
    });
    // Everything it might still have said about its job is read before this.
    child.on('close', () => resolveTook(false));
    // A waiting spare does not keep the runner (or a test) alive; when the runner is gone its stdin
    // closes and the spare exits on its own.
    child.unref();
    for (const stream of streams(child)) stream.unref();
    spare = entry;
  };

  /** Hands the job to the spare: true once the spare has it, false when the job must start cold. */
  const handOver = async (entry: Spare, work: Work): Promise<boolean> => {
    if (entry.exited) return false;
    entry.child.stdin!.end(`${JSON.stringify(work)}\n`);
    let timer: NodeJS.Timeout | undefined;
    const took = await Promise.race([
      entry.took,
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), TAKE_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (!took && !entry.exited) signalGroup(entry.pid, 'SIGKILL');
    return took;
  };

  const startCold = async (spec: TrainerJobSpec, args: string[], env: NodeJS.ProcessEnv, python: string, handlers: TrainerRunHandlers): Promise<TrainerRun> => {
    // Its own process group, so a cancel reaches every process torchrun starts.
    const child = spawn(python, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid;
    if (pid === undefined) {
      const error = await new Promise<Error>((resolve) => child.once('error', resolve));
      throw new Error(`cannot start the trainer: ${error.message}`);
    }
    return trackRun(child, pid, handlers);
  };

  return {
    kind: 'process',
    get sparePid() {
      return spare && !spare.exited ? spare.pid : undefined;
    },
    warm: startSpare,
    async close() {
      closed = true;
      const entry = spare;
      spare = undefined;
      if (!entry || entry.exited) return;
      const exited = new Promise<void>((resolve) => entry.child.once('exit', () => resolve()));
      signalGroup(entry.pid, 'SIGTERM');
      const kill = setTimeout(() => signalGroup(entry.pid, 'SIGKILL'), 2000);
      await exited;
      clearTimeout(kill);
    },
    async start(spec: TrainerJobSpec, handlers: TrainerRunHandlers = {}): Promise<TrainerRun> {
      prepareOutput(spec);
      const args = trainerArguments(spec, { model: spec.modelDir, data: spec.dataDir, out: spec.outputDir });
      const env = jobEnv(spec);
      const python = options.python ?? trainerPython();
      if (!warmEnabled) return startCold(spec, args, env, python, handlers);

      // The next spare starts once this job has made its first step or ended, after the line that
      // says so has been handed on (spawning takes a few milliseconds of this thread).
      let replenished = false;
      const replenish = () => {
        if (replenished) return;
        replenished = true;
        setImmediate(startSpare);
      };
      const watched: TrainerRunHandlers = {
        ...handlers,
        onEvent: (event) => {
          handlers.onEvent?.(event);
          if (event.event === 'progress') replenish();
        },
      };

      let run: TrainerRun | undefined;
      const entry = spare;
      if (entry && !entry.exited && trainerProcesses(spec) === 1 && entry.python === python && loadTimeEnvAgrees(entry.env, env)) {
        spare = undefined;
        if (await handOver(entry, { argv: args.slice(2), env })) {
          const { child } = entry;
          child.stdout!.off('data', entry.onStdout);
          child.stderr!.off('data', entry.onStderr);
          // Now a job: it keeps the runner alive like a cold trainer does.
          child.ref();
          for (const stream of streams(child)) stream.ref();
          run = trackRun(child, entry.pid, watched, entry);
        }
      }
      run ??= await startCold(spec, args, env, python, watched);
      void run.exit.then(replenish);
      return run;
    },
  };
}
