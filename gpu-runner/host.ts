// What this host offers: GPUs from nvidia-smi (none when it is absent), memory, and which
// executor can run jobs (a Docker engine that answers, else child processes).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import os from 'node:os';
import Docker from 'dockerode';

const run = promisify(execFile);

export type Gpu = { index: number; name: string; memoryMiB: number };

export async function detectGpus(): Promise<Gpu[]> {
  try {
    const { stdout } = await run('nvidia-smi', ['--query-gpu=index,name,memory.total', '--format=csv,noheader,nounits'], { timeout: 10_000 });
    return stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [index, name, memory] = line.split(',').map((s) => s.trim());
        return { index: Number(index), name: name ?? 'GPU', memoryMiB: Number(memory) };
      });
  } catch {
    return [];
  }
}

export function dockerClient(dockerHost?: string) {
  if (dockerHost?.startsWith('unix://')) return new Docker({ socketPath: dockerHost.slice('unix://'.length) });
  return new Docker();
}

export async function dockerAnswers(dockerHost?: string): Promise<boolean> {
  try {
    await dockerClient(dockerHost).ping();
    return true;
  } catch {
    return false;
  }
}

export async function chooseExecutor<P extends 'auto' | 'docker' | 'process' | 'slurm'>(preference: P, dockerHost?: string): Promise<Exclude<P, 'auto'> | 'docker' | 'process'> {
  if (preference !== 'auto') return preference as Exclude<P, 'auto'>;
  return (await dockerAnswers(dockerHost)) ? 'docker' : 'process';
}

export const hostMemoryBytes = () => BigInt(os.totalmem());
