// Hands the trainer to a Slurm cluster: the runner lives on a login node, writes the job's
// workspace on the shared filesystem, submits a batch script with sbatch and follows the trainer's
// JSON lines from the job's output file (the same events, progress and checkpoints as the process
// executor). Several tasks run under srun with torchrun's rendezvous on the allocation's first node
// (gloo on the CPU, NCCL on GPUs). Cancel is `scancel --signal=TERM` (the trainer checkpoints), then
// `scancel` once the grace has passed. The final state comes from sacct where accounting is on,
// else from `scontrol show job`, and a state that is the scheduler's doing (TIMEOUT, NODE_FAIL,
// PREEMPTED...) becomes a failure that says what happened.
//
// A runner that restarts re-attaches to a running job with attach(), from the byte offset of the
// output it had read, instead of submitting it again. The batch script is requeue-safe: a job
// that Slurm preempts and requeues starts again from the newest checkpoint in its output folder,
// and the output file is appended to, so offsets stay valid.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { trainerEnv, trainerPython } from '@/gpu-runner/trainer/python';
import {
  DEFAULT_CANCEL_GRACE_MS,
  dispatchStdout,
  prepareOutput,
  resumeWithinOutput,
  trainerArguments,
  type SlurmRequest,
  type TrainerExecutor,
  type TrainerExit,
  type TrainerJobSpec,
  type TrainerRun,
  type TrainerRunHandlers,
} from './types';

const run = promisify(execFile);

export interface SlurmExecutorOptions {
  /** The runner's defaults for every job (LATHE_SLURM_PARTITION, ...). */
  defaults?: SlurmRequest;
  /** Interpreter with torch on the compute nodes (default: LATHE_PYTHON or /usr/bin/python3). */
  python?: string;
  /** Environment for sbatch, squeue, scontrol, sacct and scancel (SLURM_CONF, PATH). */
  env?: NodeJS.ProcessEnv;
  /** How often the output file and the job's state are read (default 250 ms). */
  pollMs?: number;
  /** torchrun's rendezvous port on the first node (default 29400). */
  rendezvousPort?: number;
}

/** What Slurm says about a job; `state` is its JobState (RUNNING, COMPLETED, TIMEOUT...). */
export interface SlurmJobInfo {
  jobId: string;
  state: string;
  reason: string | null;
  partition: string | null;
  nodes: string | null;
  exitCode: number;
  signal: number;
  restarts: number;
  timeLimit: string | null;
}

export interface SlurmRun extends TrainerRun {
  readonly executor: 'slurm';
  /** Bytes of the output file read so far, up to the last complete line: attach() resumes here. */
  readonly offset: number;
  /** The newest state read from the scheduler. */
  readonly info: SlurmJobInfo | null;
  /** Stops following the job and leaves it running (the runner is shutting down); `exit` never settles. */
  detach(): void;
}

export interface SlurmExecutor extends TrainerExecutor {
  readonly kind: 'slurm';
  start(spec: TrainerJobSpec, handlers?: TrainerRunHandlers): Promise<SlurmRun>;
  /** Follows a job submitted earlier (by this runner before a restart) from `offset` of its output. */
  attach(spec: TrainerJobSpec, slurmJobId: string, offset: number, handlers?: TrainerRunHandlers): Promise<SlurmRun>;
  /** The job's state now, or null when the scheduler no longer knows it. */
  query(slurmJobId: string): Promise<SlurmJobInfo | null>;
}

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE']);

/** Where the executor keeps a job's batch script and output, beside its output folder. */
export function slurmFiles(spec: Pick<TrainerJobSpec, 'outputDir'>) {
  const dir = `${spec.outputDir}.slurm`;
  return { dir, script: path.join(dir, 'job.sh'), stdout: path.join(dir, 'trainer.out'), stderr: path.join(dir, 'trainer.err') };
}

const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/** Parses `scontrol show job -o` (one line of Key=Value pairs). */
export function parseScontrol(text: string): SlurmJobInfo | null {
  const fields = new Map<string, string>();
  for (const match of text.matchAll(/(\S+?)=(\S*)/g)) if (!fields.has(match[1]!)) fields.set(match[1]!, match[2]!);
  const jobId = fields.get('JobId');
  const state = fields.get('JobState');
  if (!jobId || !state) return null;
  const [code, signal] = (fields.get('ExitCode') ?? '0:0').split(':').map(Number);
  const orNull = (v: string | undefined) => (!v || v === '(null)' || v === 'None' ? null : v);
  return {
    jobId,
    state,
    reason: orNull(fields.get('Reason')),
    partition: orNull(fields.get('Partition')),
    nodes: orNull(fields.get('NodeList')),
    exitCode: code ?? 0,
    signal: signal ?? 0,
    restarts: Number(fields.get('Restarts') ?? 0),
    timeLimit: orNull(fields.get('TimeLimit')),
  };
}

/** The sbatch options of a request (partition, account, QoS, time, GRES, nodes, tasks). */
export function sbatchOptions(request: SlurmRequest, spec: TrainerJobSpec): string[] {
  const options = [`--job-name=lathe-${spec.jobId}`];
  if (request.partition) options.push(`--partition=${request.partition}`);
  if (request.account) options.push(`--account=${request.account}`);
  if (request.qos) options.push(`--qos=${request.qos}`);
  if (request.timeLimit) options.push(`--time=${request.timeLimit}`);
  const nodes = request.nodes ?? 1;
  options.push(`--nodes=${nodes}`, `--ntasks-per-node=${tasksPerNode(request, spec)}`);
  if (request.gpusPerNode) options.push(`--gres=gpu:${request.gpusPerNode}`);
  const cpus = request.cpusPerTask ?? (spec.cpus ? Math.max(1, Math.floor(spec.cpus / tasksPerNode(request, spec))) : undefined);
  if (cpus) options.push(`--cpus-per-task=${cpus}`);
  if (spec.memoryBytes) options.push(`--mem=${Math.ceil(spec.memoryBytes / 1024 / 1024)}M`);
  return options;
}

function tasksPerNode(request: SlurmRequest, spec: TrainerJobSpec): number {
  return Math.max(1, request.tasksPerNode ?? (request.gpusPerNode || spec.processes || 1));
}

/**
 * The batch script. One task per node runs torchrun, which starts the node's trainer processes and
 * meets the other nodes at the first node of the allocation. A requeued job (SLURM_RESTART_COUNT
 * above 0) resumes from the newest checkpoint the trainer left in its output folder.
 */
export function batchScript(spec: TrainerJobSpec, request: SlurmRequest, options: { python: string; rendezvousPort: number }): string {
  const files = slurmFiles(spec);
  const perNode = tasksPerNode(request, spec);
  const nodes = request.nodes ?? 1;
  const base = trainerArguments({ ...spec, resumeFrom: undefined, gpus: undefined, processes: 1 }, { model: spec.modelDir, data: spec.dataDir, out: spec.outputDir });
  const resume = resumeWithinOutput(spec);
  const gpu = (request.gpusPerNode ?? 0) > 0;
  const env = trainerEnv({
    ...spec.env,
    ...(gpu ? {} : { LATHE_DEVICE: 'cpu', CUDA_VISIBLE_DEVICES: '' }),
    ...(spec.cpus ? { LATHE_THREADS: String(request.cpusPerTask ?? Math.max(1, Math.floor(spec.cpus / perNode))) } : {}),
  });
  // With GPUs, Slurm's GRES plugin chooses the devices: the login node's CUDA_VISIBLE_DEVICES must not override it.
  if (gpu) delete env.CUDA_VISIBLE_DEVICES;
  const exports = Object.entries(env)
    .filter(([name, value]) => value !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    .map(([name, value]) => `export ${name}=${shellQuote(value!)}`);
  const launch =
    nodes * perNode > 1
      ? [
          'head=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)',
          // A port per job, so two jobs whose allocations share a first node do not meet at the same one.
          `port=$((${options.rendezvousPort} + SLURM_JOB_ID % 1000))`,
          `srun --ntasks=${nodes} --ntasks-per-node=1 --kill-on-bad-exit=1 ${shellQuote(options.python)} -m lathe_trainer.launch --nnodes=${nodes} --nproc_per_node=${perNode} --rdzv_backend=c10d --rdzv_endpoint="$head:$port" --rdzv_id="lathe-$SLURM_JOB_ID" ${base.map(shellQuote).join(' ')} $resume &`,
        ]
      : [`${shellQuote(options.python)} ${base.map(shellQuote).join(' ')} $resume &`];
  return [
    '#!/bin/bash',
    ...sbatchOptions(request, spec).map((option) => `#SBATCH ${option}`),
    `#SBATCH --output=${files.stdout}`,
    `#SBATCH --error=${files.stderr}`,
    '#SBATCH --open-mode=append',
    '#SBATCH --requeue',
    ...exports,
    `cd ${shellQuote(spec.outputDir)}`,
    'resume=',
    resume !== null ? `resume="--resume ${path.join(spec.outputDir, resume).replaceAll('"', '')}"` : '',
    'if [ "${SLURM_RESTART_COUNT:-0}" -gt 0 ]; then',
    `  latest=$(ls -d ${shellQuote(path.join(spec.outputDir, 'checkpoints'))}/step-* 2>/dev/null | sort -t- -k2 -n | tail -n1)`,
    '  if [ -n "$latest" ]; then resume="--resume $latest"; fi',
    'fi',
    // The trainer in the background, so that a TERM from scancel reaches it and the script waits on it.
    'trap \'kill -TERM $child 2>/dev/null\' TERM',
    ...launch,
    'child=$!',
    'wait $child',
    'status=$?',
    'if [ $status -gt 128 ]; then wait $child; status=$?; fi',
    'exit $status',
    '',
  ].join('\n');
}

/** A sentence for a state that is the scheduler's doing, with what to do about it. */
export function slurmFailure(info: SlurmJobInfo, lastStep: number | null): { code: string; message: string } | null {
  const job = `The Slurm job ${info.jobId}`;
  const at = lastStep !== null ? ` at step ${lastStep}` : '';
  switch (info.state) {
    case 'TIMEOUT':
      return { code: 'slurm_timeout', message: `${job} reached its time limit${info.timeLimit ? ` of ${info.timeLimit}` : ''}${at} and Slurm stopped it (TIMEOUT). Ask for a longer time limit or train fewer steps.` };
    case 'OUT_OF_MEMORY':
      return { code: 'out_of_memory', message: `${job} exceeded its memory allocation${at} and Slurm killed it (OUT_OF_MEMORY). Use a smaller batch size or sequence length, or ask for more memory.` };
    case 'NODE_FAIL':
      return { code: 'slurm_node_fail', message: `A node of ${job.slice(4)} failed${at} (NODE_FAIL${info.nodes ? ` on ${info.nodes}` : ''}). Retry the job; its checkpoints are kept.` };
    case 'PREEMPTED':
      return { code: 'slurm_preempted', message: `${job} was preempted${at} by a job of higher priority and not requeued (PREEMPTED). Retry it, or use a partition or QoS that is not preempted.` };
    case 'BOOT_FAIL':
      return { code: 'slurm_boot_fail', message: `${job} could not start because its node failed to boot (BOOT_FAIL). Retry the job.` };
    case 'DEADLINE':
      return { code: 'slurm_deadline', message: `${job} passed its deadline${at} and Slurm stopped it (DEADLINE).` };
    case 'CANCELLED':
      return { code: 'slurm_cancelled', message: `${job} was cancelled outside Lathe${at} (by scancel or a cluster administrator).` };
    default:
      return null;
  }
}

export function createSlurmExecutor(options: SlurmExecutorOptions = {}): SlurmExecutor {
  const env = options.env ?? process.env;
  const pollMs = options.pollMs ?? 250;
  const slurm = async (command: string, args: string[]) => (await run(command, args, { env, encoding: 'utf8' })).stdout;

  const query = async (slurmJobId: string): Promise<SlurmJobInfo | null> => {
    try {
      return parseScontrol(await slurm('scontrol', ['show', 'job', '-o', slurmJobId]));
    } catch (error) {
      if (/Invalid job id/i.test(String((error as { stderr?: string }).stderr ?? error))) return null;
      throw error;
    }
  };

  /** The final state: sacct where accounting is on (it outlives MinJobAge), else scontrol. */
  const finalState = async (slurmJobId: string, live: SlurmJobInfo | null): Promise<SlurmJobInfo | null> => {
    try {
      const out = await slurm('sacct', ['-j', slurmJobId, '-n', '-P', '-X', '-o', 'JobID,State,ExitCode,Partition,NodeList,Timelimit']);
      const line = out.split('\n').find((l) => l.split('|')[0] === slurmJobId);
      if (line) {
        const [, state, exit, partition, nodes, timeLimit] = line.split('|');
        const [code, signal] = (exit ?? '0:0').split(':').map(Number);
        return { jobId: slurmJobId, state: state!.split(' ')[0]!, reason: live?.reason ?? null, partition: partition || null, nodes: nodes || null, exitCode: code ?? 0, signal: signal ?? 0, restarts: live?.restarts ?? 0, timeLimit: timeLimit || live?.timeLimit || null };
      }
    } catch {
      // Accounting storage is disabled (no slurmdbd): scontrol keeps the job for MinJobAge.
    }
    return (await query(slurmJobId)) ?? live;
  };

  const follow = (spec: TrainerJobSpec, slurmJobId: string, startOffset: number, handlers: TrainerRunHandlers): SlurmRun => {
    const files = slurmFiles(spec);
    let offset = startOffset;
    let errOffset = 0;
    let pending = Buffer.alloc(0);
    let errPending = '';
    let info: SlurmJobInfo | null = null;
    let cancelled = false;
    let detached = false;
    let lastStep: number | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    // The offset reported for re-attaching stops at the start of the trainer's last word (done,
    // cancelled, error): a runner that dies before it has acted on it reads it again.
    let lineStart = offset;
    let endAt: number | null = null;
    const dispatch = dispatchStdout({
      ...handlers,
      onEvent: (event) => {
        if (event.event === 'progress' || event.event === 'checkpoint' || event.event === 'cancelled') lastStep = event.step;
        if ((event.event === 'done' || event.event === 'cancelled' || event.event === 'error') && endAt === null) endAt = lineStart;
        handlers.onEvent?.(event);
      },
    });
    // stderr is only for the tail of a failure message: read from the start of this run.
    void fs.stat(files.stderr).then((s) => (errOffset = s.size), () => {});

    const readNew = async (file: string, from: number): Promise<Buffer> => {
      let handle: fs.FileHandle;
      try {
        handle = await fs.open(file, 'r');
      } catch {
        return Buffer.alloc(0);
      }
      try {
        const { size } = await handle.stat();
        if (size <= from) return Buffer.alloc(0);
        const buffer = Buffer.alloc(size - from);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    };
    const drain = async (final: boolean) => {
      const chunk = await readNew(files.stdout, offset + pending.length);
      pending = Buffer.concat([pending, chunk]);
      let at: number;
      while ((at = pending.indexOf(10)) >= 0) {
        const line = pending.subarray(0, at).toString('utf8').replace(/\r$/, '');
        pending = pending.subarray(at + 1);
        lineStart = offset;
        offset += at + 1;
        dispatch(line);
      }
      if (final && pending.length) {
        lineStart = offset;
        offset += pending.length;
        const line = pending.toString('utf8');
        pending = Buffer.alloc(0);
        dispatch(line);
      }
      const err = await readNew(files.stderr, errOffset);
      errOffset += err.length;
      errPending += err.toString('utf8');
      const lines = errPending.split('\n');
      errPending = final ? '' : lines.pop()!;
      for (const line of lines) if (line || final) handlers.onStderrLine?.(line);
    };

    const exit = new Promise<TrainerExit>((resolve, reject) => {
      const tick = async () => {
        if (detached) return;
        try {
          const now = await query(slurmJobId);
          if (now) info = now;
          await drain(false);
          if (detached) return;
          if (!now || TERMINAL.has(now.state)) {
            const last = await finalState(slurmJobId, now);
            if (last) info = last;
            await drain(true);
            clearTimeout(killTimer);
            const state = info?.state ?? 'UNKNOWN';
            const failure = state === 'CANCELLED' && cancelled ? null : info ? slurmFailure(info, lastStep) : null;
            const exitCode = state === 'COMPLETED' ? 0 : info?.signal ? 128 + info.signal : (info?.exitCode ?? 1);
            resolve({ exitCode: failure ? exitCode || 1 : exitCode, oomKilled: state === 'OUT_OF_MEMORY', cancelled, ...(failure ? { failure } : {}) });
            return;
          }
        } catch (error) {
          // slurmctld may be restarting: keep asking (squeue/scontrol fail meanwhile).
          handlers.onStderrLine?.(`[lathe-runner] could not read the Slurm job ${slurmJobId}: ${(error as Error).message.split('\n')[0]}`);
          if (!info) return reject(error);
        }
        setTimeout(() => void tick(), pollMs);
      };
      void tick();
    });
    let settled = false;
    void exit.then(
      () => (settled = true),
      () => (settled = true),
    );

    return {
      executor: 'slurm',
      id: slurmJobId,
      exit,
      get offset() {
        return endAt ?? offset;
      },
      get info() {
        return info;
      },
      detach() {
        detached = true;
        clearTimeout(killTimer);
      },
      async cancel(graceMs = DEFAULT_CANCEL_GRACE_MS) {
        if (settled || detached) return;
        cancelled = true;
        // TERM to the batch script, which hands it to the trainer (or to srun, which hands it to every task): the trainer checkpoints and exits 0.
        await slurm('scancel', ['--batch', '--signal=TERM', slurmJobId]).catch(() => {});
        clearTimeout(killTimer);
        killTimer = setTimeout(() => void slurm('scancel', [slurmJobId]).catch(() => {}), graceMs);
        await exit;
      },
    };
  };

  return {
    kind: 'slurm',
    query,
    async start(spec, handlers = {}) {
      prepareOutput(spec);
      const request = { ...options.defaults, ...spec.slurm };
      const files = slurmFiles(spec);
      mkdirSync(files.dir, { recursive: true });
      // A fresh run starts a fresh output file (attach() is for continuing one).
      for (const name of readdirSync(files.dir)) await fs.rm(path.join(files.dir, name), { force: true });
      writeFileSync(files.script, batchScript(spec, request, { python: options.python ?? trainerPython(), rendezvousPort: options.rendezvousPort ?? 29400 }), { mode: 0o755 });
      let out: string;
      try {
        out = await slurm('sbatch', ['--parsable', files.script]);
      } catch (error) {
        const detail = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
        throw new Error(`Slurm refused the job (sbatch): ${detail}`);
      }
      const slurmJobId = out.trim().split(';')[0]!;
      return follow(spec, slurmJobId, 0, handlers);
    },
    async attach(spec, slurmJobId, offset, handlers = {}) {
      return follow(spec, slurmJobId, offset, handlers);
    },
  };
}

/** A partition as the runner list shows it: its nodes and their states (sinfo). */
export type SlurmPartition = {
  name: string;
  default: boolean;
  nodes: { name: string; state: string; cpus: number; gres: string | null }[];
};

/** The cluster's partitions with the state of each node, from `sinfo -N`. */
export async function readPartitions(env: NodeJS.ProcessEnv = process.env): Promise<SlurmPartition[]> {
  const { stdout } = await run('sinfo', ['-h', '-N', '-o', '%P|%N|%T|%c|%G'], { env, encoding: 'utf8' });
  return parseSinfo(stdout);
}

export function parseSinfo(text: string): SlurmPartition[] {
  const partitions = new Map<string, SlurmPartition>();
  for (const line of text.split('\n')) {
    const [rawName, node, state, cpus, gres] = line.trim().split('|');
    if (!rawName || !node || !state) continue;
    const name = rawName.replace(/\*$/, '');
    const partition = partitions.get(name) ?? { name, default: rawName.endsWith('*'), nodes: [] };
    partitions.set(name, partition);
    partition.nodes.push({ name: node, state, cpus: Number(cpus) || 0, gres: gres && gres !== '(null)' ? gres : null });
  }
  return [...partitions.values()];
}
