import { fork } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ExportProgress } from '../export-gguf';
import { ModelError, type ModelErrorCode } from '../errors';
import type { ChildMessage, ChildRequest } from './protocol';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CONVERSION_ENTRY = path.join(HERE, 'child.ts');
const LLAMA_ENTRY = path.join(HERE, 'llama-child.mjs');
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const STDERR_TAIL_BYTES = 16 * 1024;

export interface ChildRunOptions {
  onProgress?: (progress: ExportProgress) => void;
  signal?: AbortSignal;
  /** Kill the child after this long (default: 4 hours for conversions, 5 minutes for llama.cpp loads). */
  timeoutMs?: number;
}

export interface ChildOutcome<T> {
  result: T;
  maxRssBytes: number;
  /** Time the child spent on the request itself, without starting up. */
  workMs?: number;
  /** CPU time (all threads) the child spent on the request. */
  cpuMs?: number;
}

/**
 * Runs one request in a fresh Node child (TypeScript through tsx) and resolves with its result.
 * Any failure, including a native abort that kills the child, rejects with a ModelError; the
 * calling process is never affected.
 */
export function runInChild<T>(request: ChildRequest, options: ChildRunOptions = {}): Promise<ChildOutcome<T>> {
  const failureCode: ModelErrorCode = request.kind.startsWith('llama') ? 'llama_rejected' : 'conversion_failed';
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new ModelError('aborted', 'cancelled before it started'));
    const isLlama = request.kind.startsWith('llama');
    const child = fork(isLlama ? LLAMA_ENTRY : CONVERSION_ENTRY, [], {
      execArgv: isLlama ? [] : ['--import', TSX_LOADER],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stderr = '';
    let settled: { ok: true; value: ChildOutcome<T> } | { ok: false; error: ModelError } | undefined;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    const timer = setTimeout(() => {
      settled ??= { ok: false, error: new ModelError(failureCode, `${describe(request)} timed out after ${Math.round((options.timeoutMs ?? 0) / 1000)} s`) };
      child.kill('SIGKILL');
    }, options.timeoutMs ?? (isLlama ? 5 * 60_000 : 4 * 3600_000));
    const onAbort = () => {
      settled ??= { ok: false, error: new ModelError('aborted', `${describe(request)} was cancelled`) };
      child.kill('SIGKILL');
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('message', (message: ChildMessage) => {
      if (message.type === 'progress') options.onProgress?.(message.progress);
      else if (message.type === 'result') settled ??= { ok: true, value: { result: message.result as T, maxRssBytes: message.maxRssBytes, workMs: message.workMs, cpuMs: message.cpuMs } };
      else settled ??= { ok: false, error: new ModelError(message.error.code, message.error.message, message.error.details) };
    });
    child.on('error', (error) => {
      settled ??= { ok: false, error: new ModelError(failureCode, `could not start the ${describe(request)} process: ${error.message}`) };
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // A child killed mid-write cannot remove its temporary output; it is named after its pid.
      if (signal && 'outFile' in request) removeTempOutputs(request.outFile, child.pid);
      if (!settled) {
        const status = signal ? `${signal}${signal === 'SIGABRT' ? ', exit 134' : ''}` : `exit ${code}`;
        const detail = lastMeaningfulLines(stderr) || 'no diagnostic output';
        const message =
          failureCode === 'llama_rejected'
            ? `llama.cpp rejected the file: ${detail} (loader process ended with ${status})`
            : `${describe(request)} process died (${status}): ${detail}`;
        settled = { ok: false, error: new ModelError(failureCode, message, { signal, exitCode: code }) };
      }
      if (settled.ok) resolve(settled.value);
      else reject(settled.error);
    });
    child.send(request);
  });
}

function removeTempOutputs(outFile: string, pid: number | undefined): void {
  if (pid === undefined) return;
  const prefix = `${path.basename(outFile)}.tmp-${pid}-`;
  try {
    for (const name of readdirSync(path.dirname(outFile))) if (name.startsWith(prefix)) rmSync(path.join(path.dirname(outFile), name), { force: true });
  } catch {
    // The output folder itself is gone: nothing to clean.
  }
}

function describe(request: ChildRequest): string {
  switch (request.kind) {
    case 'model':
      return 'GGUF conversion';
    case 'merge':
      return 'merged GGUF export';
    case 'adapter':
      return 'adapter conversion';
    default:
      return 'llama.cpp load';
  }
}

/** The tail of stderr that explains a crash: llama.cpp's last error lines, not its info chatter. */
function lastMeaningfulLines(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const important = lines.filter((l) => /error|assert|abort|fail|invalid|missing|unknown|cannot|terminate/i.test(l));
  return (important.length ? important : lines).slice(-3).join(' | ').slice(0, 1000);
}
