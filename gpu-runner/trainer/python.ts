// How Node starts the Python trainer package (gpu-runner/trainer/lathe_trainer) outside a
// container, and the tiny-model fixture that tests and the offline demo use.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { detectedTrainerPython } from '@/server/services/platform/trainer-environment';

export const TRAINER_DIR = path.dirname(fileURLToPath(import.meta.url));
export const TRAINER_PACKAGE_DIR = path.join(TRAINER_DIR, 'lathe_trainer');

/**
 * The interpreter with torch: LATHE_PYTHON, else the one this process's detection chose
 * (server/services/platform/trainer-environment.ts), else Debian's /usr/bin/python3 (not a pyenv shim).
 */
export function trainerPython(): string {
  return process.env.LATHE_PYTHON || detectedTrainerPython() || '/usr/bin/python3';
}

/**
 * glibc settings for the trainer: keep freed memory for reuse instead of returning it to the
 * kernel, whose page faults on every re-allocation cost a few percent of a CPU training step.
 * The trainer images set the same.
 */
export const TRAINER_MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: '33554432', MALLOC_TRIM_THRESHOLD_: '4294967296' };

/**
 * What the trainer may see of the runner's environment: the system's basics and the tuning of the
 * interpreter, torch and its native libraries. Never the rest (DATABASE_URL, the internal token,
 * storage keys, HF_TOKEN): a trainer runs on a customer's data and needs none of it.
 */
const TRAINER_ENV_NAMES = /^(PATH|HOME|USER|LOGNAME|LANG|LANGUAGE|TZ|TMPDIR|TERM|VIRTUAL_ENV|CONDA_PREFIX|LD_LIBRARY_PATH|LD_PRELOAD|GLIBC_TUNABLES|LATHE_DEVICE|LATHE_THREADS|LC_\w+|PYTHON\w*|MALLOC_\w+|OMP_\w+|GOMP_\w+|KMP_\w+|MKL_\w+|OPENBLAS_\w+|TORCH_\w+|PYTORCH_\w+|CUDA_\w+|CUBLAS_\w+|CUDNN_\w+|NCCL_\w+|NVIDIA_\w+)$/;

/** Environment for a trainer child process: the allowed part of ours, the package on PYTHONPATH, unbuffered output. */
export function trainerEnv(extra: Partial<NodeJS.ProcessEnv> = {}): NodeJS.ProcessEnv {
  const allowed = Object.fromEntries(Object.entries(process.env).filter(([name]) => TRAINER_ENV_NAMES.test(name))) as NodeJS.ProcessEnv;
  const inherited = process.env.PYTHONPATH ? `${path.delimiter}${process.env.PYTHONPATH}` : '';
  return { ...TRAINER_MALLOC_ENV, ...allowed, PYTHONPATH: `${TRAINER_DIR}${inherited}`, PYTHONUNBUFFERED: '1', ...extra };
}

export interface RunModuleOptions {
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** Runs `python -m lathe_trainer.<module> ...args` and resolves with its exit code. */
export function runTrainerModule(module: string, args: string[], options: RunModuleOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(trainerPython(), ['-m', `lathe_trainer.${module}`, ...args], {
      env: trainerEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    readline.createInterface({ input: child.stdout }).on('line', (line) => options.onStdoutLine?.(line));
    readline.createInterface({ input: child.stderr }).on('line', (line) => options.onStderrLine?.(line));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

export interface TinyModelOptions {
  onLog?: (line: string) => void;
}

/** Writes the tiny chat model into `outDir` (replacing it). */
export async function generateTinyModel(outDir: string, options: TinyModelOptions = {}): Promise<void> {
  const errors: string[] = [];
  const code = await runTrainerModule('fixture', ['--out', path.resolve(outDir)], {
    onStderrLine: (line) => {
      errors.push(line);
      options.onLog?.(line);
    },
  });
  if (code !== 0) {
    throw new Error(`tiny-model generation failed (exit ${code}): ${errors.slice(-5).join('\n')}`);
  }
}

// The modules the fixture generator runs (tests/helpers.py keeps the same list).
const FIXTURE_SOURCES = [
  '__init__.py', 'corpus.py', 'errors.py', 'fixture.py', 'model.py', 'modelconfig.py',
  'runtime.py', 'safetensors.py', 'tokenizer.py',
];

/** Hash of the generator's sources: the fixture depends on nothing else, so equal hashes mean equal files. */
export function fixtureSourceHash(): string {
  const hash = createHash('sha256');
  for (const name of [...FIXTURE_SOURCES].sort()) {
    hash.update(name).update('\0').update(readFileSync(path.join(TRAINER_PACKAGE_DIR, name))).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

const LOCK_STALE_MS = 10 * 60_000;

/**
 * The tiny model, generated once per version of the trainer sources and shared by every test
 * process of the machine through a folder in the OS temp dir (a lock folder serialises the first
 * generation).
 */
export async function cachedTinyModel(options: TinyModelOptions = {}): Promise<string> {
  const root = path.join(process.env.LATHE_FIXTURE_CACHE || os.tmpdir(), `lathe-tiny-model-${fixtureSourceHash()}`);
  const modelDir = path.join(root, 'model');
  const ready = () => existsSync(path.join(modelDir, 'model.safetensors')) && existsSync(path.join(modelDir, 'tokenizer.json'));
  if (ready()) return modelDir;
  mkdirSync(root, { recursive: true });
  const lock = path.join(root, 'lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (ready()) return modelDir;
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      } catch {
        // The holder released it between the two calls.
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (!ready()) await generateTinyModel(modelDir, options);
    return modelDir;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
