// Runs the trainer in a container: model and data mounted read-only, the output folder read-write,
// no network, memory and CPU limits, NVIDIA GPUs through device requests, and labels that let a
// restarted runner remove what a crashed one left behind.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
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

export const JOB_LABEL = 'lathe.job';
export const RUNNER_LABEL = 'lathe.runner';
const MOUNTS = { model: '/model', data: '/data', out: '/out' } as const;

export interface DockerExecutorOptions {
  docker: Dockerode;
  /** Image for CPU jobs (see ensureTrainerImage in gpu-runner/images/build.ts). */
  image: string;
  /** Image for GPU jobs (a lathe/trainer-cuda build); defaults to `image`. */
  gpuImage?: string;
  /** This runner's id, written as a label on every container it starts. */
  runnerId: string;
}

function statusCode(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/** The deepest existing ancestor of `p` (itself when it exists), with its symlinks resolved. */
function realAncestor(p: string): string {
  for (let at = p; ; at = path.dirname(at)) {
    try {
      return realpathSync(at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || at === path.dirname(at)) throw error;
    }
  }
}

/**
 * Maps a path the trainer reported inside the container to the host's output folder. The runner
 * reads what it names on the host, so a path that leaves /out, by its spelling or through a
 * symlink the container made there, is refused.
 */
export function hostPath(containerPath: string, spec: TrainerJobSpec): string {
  const normalized = path.posix.normalize(containerPath);
  const relative = normalized === MOUNTS.out ? '' : normalized.startsWith(`${MOUNTS.out}/`) ? normalized.slice(MOUNTS.out.length + 1) : null;
  if (relative === null) throw new Error(`${containerPath} is outside ${MOUNTS.out}`);
  const mapped = path.join(spec.outputDir, ...relative.split('/'));
  const root = realpathSync(spec.outputDir);
  const real = realAncestor(mapped);
  if (real !== root && !real.startsWith(`${root}${path.sep}`)) throw new Error(`${containerPath} leads outside ${MOUNTS.out}`);
  return mapped;
}

/** The handler of the container's stdout lines: events with their paths as the host sees them. */
export function containerStdout(spec: TrainerJobSpec, handlers: TrainerRunHandlers): (line: string) => void {
  return dispatchStdout(handlers, (p) => hostPath(p, spec));
}

export function containerConfig(spec: TrainerJobSpec, options: DockerExecutorOptions): Dockerode.ContainerCreateOptions {
  const gpus = spec.gpus ?? [];
  const env = Object.entries({
    HOME: '/tmp',
    ...spec.env,
    ...(gpus.length === 0 ? { LATHE_DEVICE: 'cpu' } : {}),
    // The container sees every host CPU even under a CPU limit, so the thread count is explicit.
    ...(spec.cpus ? { LATHE_THREADS: threadsPerProcess(spec) } : {}),
  }).map(([key, value]) => `${key}=${value}`);
  const user = typeof process.getuid === 'function' ? `${process.getuid()}:${process.getgid?.() ?? 0}` : undefined;
  return {
    Image: gpus.length > 0 ? (options.gpuImage ?? options.image) : options.image,
    Cmd: ['python3', ...trainerArguments(spec, MOUNTS)],
    User: user,
    // Without a network the container's own name does not resolve, and torchrun hands that name to
    // its workers as the rendezvous address.
    Hostname: 'localhost',
    Env: env,
    WorkingDir: '/tmp',
    Labels: { [JOB_LABEL]: spec.jobId, [RUNNER_LABEL]: options.runnerId },
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    HostConfig: {
      Binds: [`${spec.modelDir}:${MOUNTS.model}:ro`, `${spec.dataDir}:${MOUNTS.data}:ro`, `${spec.outputDir}:${MOUNTS.out}:rw`],
      NetworkMode: 'none',
      AutoRemove: false,
      ...(spec.memoryBytes ? { Memory: spec.memoryBytes, MemorySwap: spec.memoryBytes } : {}),
      ...(spec.cpus ? { NanoCpus: Math.round(spec.cpus * 1e9) } : {}),
      // NCCL and the data-parallel processes exchange tensors through /dev/shm.
      ShmSize: gpus.length > 0 ? 8 * 2 ** 30 : 512 * 2 ** 20,
      ...(gpus.length > 0
        ? { DeviceRequests: [{ Driver: 'nvidia', DeviceIDs: gpus, Capabilities: [['gpu']] }] }
        : {}),
    },
  };
}

export function createDockerExecutor(options: DockerExecutorOptions): TrainerExecutor {
  const { docker } = options;
  return {
    kind: 'docker',
    async start(spec: TrainerJobSpec, handlers: TrainerRunHandlers = {}): Promise<TrainerRun> {
      prepareOutput(spec);
      const container = await docker.createContainer(containerConfig(spec, options));
      let cancelled = false;
      let started = false;
      try {
        const stream = await container.attach({ stream: true, stdout: true, stderr: true });
        const out = new PassThrough();
        const err = new PassThrough();
        container.modem.demuxStream(stream, out, err);
        const stdout = lineSplitter(containerStdout(spec, handlers));
        const stderr = lineSplitter((line) => handlers.onStderrLine?.(line));
        out.on('data', (chunk: Buffer) => stdout.push(chunk));
        err.on('data', (chunk: Buffer) => stderr.push(chunk));
        const streamEnded = new Promise<void>((resolve) => {
          stream.on('end', resolve);
          stream.on('close', resolve);
          stream.on('error', () => resolve());
        });
        // Registered before start: a plain wait() on a created container returns at once.
        const waited = container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>;
        await container.start();
        started = true;
        const exit: Promise<TrainerExit> = (async () => {
          const result = await waited;
          await Promise.race([streamEnded, new Promise((r) => setTimeout(r, 2000))]);
          stdout.end();
          stderr.end();
          const info = await container.inspect();
          await container.remove({ force: true }).catch(() => {});
          return { exitCode: result.StatusCode, oomKilled: Boolean(info.State?.OOMKilled), cancelled };
        })();
        let exited = false;
        void exit.then(
          () => (exited = true),
          () => (exited = true),
        );
        return {
          executor: 'docker',
          id: container.id,
          exit,
          async cancel(graceMs = DEFAULT_CANCEL_GRACE_MS) {
            if (exited) return;
            cancelled = true;
            try {
              // Docker sends SIGTERM, then SIGKILL after t seconds.
              await container.stop({ t: Math.max(1, Math.ceil(graceMs / 1000)) });
            } catch (error) {
              if (statusCode(error) !== 304 && statusCode(error) !== 404) throw error;
            }
            await exit.catch(() => {});
          },
        };
      } catch (error) {
        if (!started) await container.remove({ force: true }).catch(() => {});
        throw error;
      }
    },
  };
}

/**
 * Removes every container labelled with this runner's id (left by a crash of an earlier runner
 * process with the same id), except those in `keep`. Returns the removed container ids.
 */
export async function removeOrphans(docker: Dockerode, runnerId: string, keep: string[] = []): Promise<string[]> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${RUNNER_LABEL}=${runnerId}`] } });
  const removed: string[] = [];
  for (const info of containers) {
    if (keep.includes(info.Id)) continue;
    try {
      await docker.getContainer(info.Id).remove({ force: true });
      removed.push(info.Id);
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
    }
  }
  return removed;
}
