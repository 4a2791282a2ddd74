// Runs the trainer as a child process of the runner (the default when no Docker engine answers).
import { spawn } from 'node:child_process';
import os from 'node:os';
import { trainerEnv, trainerPython } from '@/gpu-runner/trainer/python';
import {
  DEFAULT_CANCEL_GRACE_MS,
  dispatchStdout,
  lineSplitter,
  prepareOutput,
  threadsPerProcess,
  trainerArguments,
  type TrainerExecutor,
  type TrainerExit,
  type TrainerJobSpec,
  type TrainerRun,
  type TrainerRunHandlers,
} from './types';

export interface ProcessExecutorOptions {
  /** Interpreter with torch (default: LATHE_PYTHON or /usr/bin/python3). */
  python?: string;
}

export function createProcessExecutor(options: ProcessExecutorOptions = {}): TrainerExecutor {
  return {
    kind: 'process',
    async start(spec: TrainerJobSpec, handlers: TrainerRunHandlers = {}): Promise<TrainerRun> {
      prepareOutput(spec);
      const args = trainerArguments(spec, { model: spec.modelDir, data: spec.dataDir, out: spec.outputDir });
      const gpus = spec.gpus ?? [];
      const env = trainerEnv({
        ...spec.env,
        CUDA_VISIBLE_DEVICES: gpus.join(','),
        ...(gpus.length === 0 ? { LATHE_DEVICE: 'cpu' } : {}),
        ...(spec.cpus ? { LATHE_THREADS: threadsPerProcess(spec) } : {}),
      });
      // Its own process group, so a cancel reaches every process torchrun starts.
      const child = spawn(options.python ?? trainerPython(), args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const pid = child.pid;
      if (pid === undefined) {
        const error = await new Promise<Error>((resolve) => child.once('error', resolve));
        throw new Error(`cannot start the trainer: ${error.message}`);
      }
      const stdout = lineSplitter(dispatchStdout(handlers));
      const stderr = lineSplitter((line) => handlers.onStderrLine?.(line));
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));

      let cancelled = false;
      let killedByUs = false;
      let killTimer: NodeJS.Timeout | undefined;
      const signalGroup = (signal: NodeJS.Signals) => {
        try {
          process.kill(-pid, signal);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
        }
      };
      const exit = new Promise<TrainerExit>((resolve) => {
        child.on('close', (code, signal) => {
          clearTimeout(killTimer);
          stdout.end();
          stderr.end();
          const exitCode = code ?? 128 + (signal ? os.constants.signals[signal] : 0);
          resolve({ exitCode, oomKilled: signal === 'SIGKILL' && !killedByUs, cancelled });
        });
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
          signalGroup('SIGTERM');
          clearTimeout(killTimer);
          killTimer = setTimeout(() => {
            killedByUs = true;
            signalGroup('SIGKILL');
          }, graceMs);
          await exit;
        },
      };
    },
  };
}
