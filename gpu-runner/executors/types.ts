// How the gpu-runner runs one training job: the same contract whether the trainer runs in a
// container (docker.ts) or as a child process (process.ts). The trainer's command line, config and
// stdout protocol are documented in gpu-runner/trainer/README.md.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseTrainerLine, type TTrainerEvent } from '@/gpu-runner/trainer/events';

export interface TrainerJobSpec {
  /** Job id; labels the container and names the run in logs. */
  jobId: string;
  /** Hugging Face model folder on the host (mounted read-only). */
  modelDir: string;
  /** Folder holding the tokenized data (mounted read-only). */
  dataDir: string;
  /** .ltok file names inside dataDir. */
  trainFile: string;
  validFile?: string;
  /** A LoRA adapter folder inside dataDir to start from (a job that continues a fine-tuned model). */
  initAdapter?: string;
  /** The job config JSON (schema and defaults in gpu-runner/trainer/README.md). */
  config: Record<string, unknown>;
  /** Receives config.json, checkpoints/, adapter/ and metrics.csv (mounted read-write). */
  outputDir: string;
  /** A checkpoint folder inside outputDir to continue from (e.g. <outputDir>/checkpoints/step-40). */
  resumeFrom?: string;
  /** GPU device ids ('0', '1', ...); none means CPU. Two or more start data-parallel processes. */
  gpus?: string[];
  /** Data-parallel trainer processes on the CPU (default 1); `cpus` is split between them. */
  processes?: number;
  /** Memory limit in bytes (enforced by the docker executor). */
  memoryBytes?: number;
  /** CPU limit (docker) and the trainer's thread count (shared by its processes). */
  cpus?: number;
  env?: Record<string, string>;
  /** Slurm executor: this job's request, over the runner's defaults (LATHE_SLURM_*). */
  slurm?: SlurmRequest;
}

/** What a Slurm job asks the scheduler for (sbatch options); unset fields take the runner's defaults. */
export interface SlurmRequest {
  partition?: string;
  account?: string;
  qos?: string;
  /** sbatch --time: minutes, or [D-]HH:MM:SS. */
  timeLimit?: string;
  nodes?: number;
  /** Trainer processes per node (one per GPU with GPUs). */
  tasksPerNode?: number;
  /** --gres=gpu:N per node; 0 trains on the CPU. */
  gpusPerNode?: number;
  cpusPerTask?: number;
}

export interface TrainerRunHandlers {
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** Each stdout line that is a protocol event, parsed, with paths as the host sees them. */
  onEvent?: (event: TTrainerEvent) => void;
  /** A stdout line that names a protocol event but does not fit its schema; it is not handed to onEvent. */
  onInvalidEvent?: (line: string, problem: string) => void;
}

export interface TrainerExit {
  exitCode: number;
  /** The kernel killed the trainer for exceeding its memory (container OOM, or an unexplained SIGKILL of a process). */
  oomKilled: boolean;
  /** cancel() was called before the trainer exited. */
  cancelled: boolean;
  /** Why the scheduler ended the job, when that is not the trainer's own doing (Slurm: TIMEOUT, NODE_FAIL...). */
  failure?: { code: string; message: string };
}

export interface TrainerRun {
  readonly executor: ExecutorKind;
  /** Container id, process id or Slurm job id. */
  readonly id: string;
  /** SIGTERM (the trainer checkpoints and exits 0), then a kill once `graceMs` has passed. */
  cancel(graceMs?: number): Promise<void>;
  readonly exit: Promise<TrainerExit>;
}

export type ExecutorKind = 'docker' | 'process' | 'slurm';

export interface TrainerExecutor {
  readonly kind: ExecutorKind;
  start(spec: TrainerJobSpec, handlers?: TrainerRunHandlers): Promise<TrainerRun>;
  /** Releases what the executor keeps between jobs (the process executor's spare trainer). */
  close?(): Promise<void>;
}

export const DEFAULT_CANCEL_GRACE_MS = 20_000;

export interface TrainerPaths {
  model: string;
  data: string;
  out: string;
}

/** Relative location of `resumeFrom` inside the output folder; refuses paths outside it. */
export function resumeWithinOutput(spec: TrainerJobSpec): string | null {
  if (!spec.resumeFrom) return null;
  const relative = path.relative(path.resolve(spec.outputDir), path.resolve(spec.resumeFrom));
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new Error(`resumeFrom (${spec.resumeFrom}) must be inside outputDir (${spec.outputDir})`);
  }
  return relative;
}

/** Arguments after the interpreter: the trainer, or the torchrun shim for several GPUs. */
export function trainerArguments(spec: TrainerJobSpec, paths: TrainerPaths): string[] {
  const args = [
    '-m',
    'lathe_trainer.train',
    '--model',
    paths.model,
    '--train',
    path.posix.join(paths.data, spec.trainFile),
    '--config',
    path.posix.join(paths.out, 'config.json'),
    '--out',
    paths.out,
  ];
  if (spec.validFile) args.push('--valid', path.posix.join(paths.data, spec.validFile));
  if (spec.initAdapter) args.push('--init-adapter', path.posix.join(paths.data, spec.initAdapter));
  const resume = resumeWithinOutput(spec);
  if (resume !== null) args.push('--resume', path.posix.join(paths.out, ...resume.split(path.sep)));
  const workers = trainerProcesses(spec);
  if (workers > 1) {
    return ['-m', 'lathe_trainer.launch', '--standalone', '--nnodes=1', `--nproc_per_node=${workers}`, ...args];
  }
  return args;
}

/** How many trainer processes a job runs: one per GPU, or `processes` on the CPU. */
export function trainerProcesses(spec: TrainerJobSpec): number {
  const gpus = spec.gpus ?? [];
  return gpus.length > 0 ? gpus.length : Math.max(1, Math.floor(spec.processes ?? 1));
}

/** Torch threads per trainer process: the CPU allowance divided between the processes. */
export function threadsPerProcess(spec: TrainerJobSpec): string | undefined {
  return spec.cpus ? String(Math.max(1, Math.floor(spec.cpus / trainerProcesses(spec)))) : undefined;
}

/** Creates the output folder and writes the job config into it (temp name, then rename). */
export function prepareOutput(spec: TrainerJobSpec): void {
  mkdirSync(spec.outputDir, { recursive: true });
  const target = path.join(spec.outputDir, 'config.json');
  const temp = `${target}.tmp-${process.pid}`;
  writeFileSync(temp, `${JSON.stringify(spec.config, null, 2)}\n`);
  renameSync(temp, target);
}

/** Splits a byte stream into lines (the last partial line is flushed at the end). */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer | string): void; end(): void } {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk.toString();
      let at: number;
      while ((at = pending.indexOf('\n')) >= 0) {
        onLine(pending.slice(0, at).replace(/\r$/, ''));
        pending = pending.slice(at + 1);
      }
    },
    end() {
      if (pending) onLine(pending);
      pending = '';
    },
  };
}

/** Rewrites the file paths an event names (checkpoints, adapter, metrics) with `mapPath`, which throws for a path it refuses. */
export function mapEventPaths(event: TTrainerEvent, mapPath: (p: string) => string): TTrainerEvent {
  switch (event.event) {
    case 'checkpoint':
      return { ...event, path: mapPath(event.path) };
    case 'cancelled':
      return { ...event, checkpoint: event.checkpoint === null ? null : mapPath(event.checkpoint) };
    case 'done':
      return { ...event, adapter_path: mapPath(event.adapter_path), metrics_path: mapPath(event.metrics_path) };
    case 'started':
      return { ...event, resumed_from: event.resumed_from === null ? null : mapPath(event.resumed_from) };
    default:
      return event;
  }
}

export function dispatchStdout(handlers: TrainerRunHandlers, mapPath?: (p: string) => string): (line: string) => void {
  return (line) => {
    handlers.onStdoutLine?.(line);
    if (!handlers.onEvent && !handlers.onInvalidEvent) return;
    const parsed = parseTrainerLine(line);
    if (parsed?.kind === 'invalid') return handlers.onInvalidEvent?.(line, parsed.problem);
    if (parsed?.kind !== 'event') return;
    let event = parsed.event;
    try {
      if (mapPath) event = mapEventPaths(event, mapPath);
    } catch (error) {
      // A path the host must not read: the event is dropped like one that breaks its schema.
      return handlers.onInvalidEvent?.(line, (error as Error).message);
    }
    handlers.onEvent?.(event);
  };
}
