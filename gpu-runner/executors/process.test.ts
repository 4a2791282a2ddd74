import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTrainerModule, trainerPython } from '@/gpu-runner/trainer/python';
import { createProcessExecutor, type ProcessExecutor } from './process';
import { createWorkspace, defineExecutorContract, quickConfig, waitFor, type Workspace } from './test-workspace';
import type { TTrainerEvent } from '@/gpu-runner/trainer/events';
import { trainerProcesses, type TrainerExecutor } from './types';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
};

/** The spare waiting for a job; the executor starts the next one after each job's first step. */
const nextSpare = (executor: ProcessExecutor) => waitFor('a spare trainer', () => executor.sparePid, 60_000);

describe('process executor', () => {
  let workspace: Workspace;
  beforeAll(async () => {
    workspace = await createWorkspace();
  }, 300_000);
  afterAll(() => rmSync(workspace.root, { recursive: true, force: true }));

  defineExecutorContract(() => createProcessExecutor(), () => workspace);

  it('passes the trainer an allow-listed environment, without the database URL or the internal token', async () => {
    const saved = { DATABASE_URL: process.env.DATABASE_URL, LATHE_INTERNAL_TOKEN: process.env.LATHE_INTERNAL_TOKEN, HF_TOKEN: process.env.HF_TOKEN, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY };
    Object.assign(process.env, { DATABASE_URL: 'postgresql://lathe:secret@db/lathe', LATHE_INTERNAL_TOKEN: 'internal-secret', HF_TOKEN: 'hf_secret', OMP_WAIT_POLICY: 'PASSIVE' });
    try {
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const run = await createProcessExecutor().start(workspace.spec('environment', quickConfig({ epochs: 500 })), { onEvent: (e) => e.event === 'started' && started() });
      await running;
      const environ = readFileSync(`/proc/${run.id}/environ`, 'utf8').split('\0').filter(Boolean);
      await run.cancel(1000);
      const names = environ.map((entry) => entry.slice(0, entry.indexOf('=')));
      expect(names).not.toContain('DATABASE_URL');
      expect(names).not.toContain('LATHE_INTERNAL_TOKEN');
      expect(names).not.toContain('HF_TOKEN');
      expect(names).not.toContain('AUTH_SECRET');
      expect(names).toEqual(expect.arrayContaining(['PATH', 'PYTHONPATH', 'PYTHONUNBUFFERED', 'OMP_WAIT_POLICY', 'LATHE_DEVICE', 'LATHE_THREADS', 'CUDA_VISIBLE_DEVICES']));
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('starts no spare trainer unless asked', async () => {
    const executor = createProcessExecutor();
    executor.warm();
    expect(executor.sparePid).toBeUndefined();
    const run = await executor.start(workspace.spec('cold-bad', quickConfig({ sequence_length: 99_999 })));
    expect((await run.exit).exitCode).toBe(1);
    expect(executor.sparePid).toBeUndefined();
  });
});

describe('process executor with a warm trainer', () => {
  let workspace: Workspace;
  let executor: ProcessExecutor;
  const usedSpares = new Set<number>();
  beforeAll(async () => {
    workspace = await createWorkspace();
    executor = createProcessExecutor({ warm: true });
    executor.warm();
  }, 300_000);
  afterAll(async () => {
    await executor.close();
    rmSync(workspace.root, { recursive: true, force: true });
  });

  // The shared behaviours, each single-process job through a spare that no earlier job used (each
  // one started by the executor itself after the previous job's first step); data-parallel jobs cold.
  const throughSpares: TrainerExecutor = {
    kind: 'process',
    async start(spec, handlers) {
      const spare = await nextSpare(executor);
      expect(usedSpares.has(spare)).toBe(false);
      const run = await executor.start(spec, handlers);
      if (trainerProcesses(spec) === 1) {
        expect(run.id).toBe(String(spare));
        usedSpares.add(spare);
      } else {
        expect(run.id).not.toBe(String(spare));
        expect(executor.sparePid).toBe(spare);
      }
      return run;
    },
  };
  defineExecutorContract(() => throughSpares, () => workspace);

  it('trains through a spare to the same adapter and metrics as a cold start, under the cold command line', async () => {
    const cold = workspace.spec('same-cold', quickConfig());
    const coldRun = await createProcessExecutor().start(cold);
    expect((await coldRun.exit).exitCode).toBe(0);

    const warm = workspace.spec('same-warm', quickConfig());
    const spare = await nextSpare(executor);
    const events: TTrainerEvent[] = [];
    const run = await executor.start(warm, { onEvent: (e) => events.push(e) });
    expect(run.id).toBe(String(spare));
    // ps and /proc show the job, as for a cold trainer (tools find a job's trainer by its paths).
    const cmdline = await waitFor('the job on the spare\'s command line', () => {
      try {
        const args = readFileSync(`/proc/${spare}/cmdline`, 'utf8').split('\0').filter(Boolean);
        return args.includes('lathe_trainer.train') ? args : undefined;
      } catch {
        return undefined;
      }
    }, 10_000);
    expect(cmdline.slice(0, 5)).toEqual([trainerPython(), '-m', 'lathe_trainer.train', '--model', workspace.modelDir]);
    expect(cmdline).toContain(path.join(warm.outputDir, 'config.json'));
    expect(await run.exit).toEqual({ exitCode: 0, oomKilled: false, cancelled: false });
    expect(events.at(-1)?.event).toBe('done');

    for (const file of ['adapter/adapter_model.safetensors', 'adapter/adapter_config.json', 'metrics.csv']) {
      expect(readFileSync(path.join(warm.outputDir, file)).equals(readFileSync(path.join(cold.outputDir, file))), file).toBe(true);
    }
  });

  it('starts the job cold when its spare was killed before use, and replaces the spare', async () => {
    const spare = await nextSpare(executor);
    process.kill(spare, 'SIGKILL');
    // Before the executor has seen it die: the hand-over finds out.
    const events: TTrainerEvent[] = [];
    const run = await executor.start(workspace.spec('spare-killed', quickConfig({ epochs: 1 })), { onEvent: (e) => events.push(e) });
    expect(run.id).not.toBe(String(spare));
    expect(await run.exit).toEqual({ exitCode: 0, oomKilled: false, cancelled: false });
    expect(events.at(-1)?.event).toBe('done');
    const replacement = await nextSpare(executor);
    expect(replacement).not.toBe(spare);
  });

  it('runs jobs whose load-time environment differs from the spare\'s cold, keeping the spare', async () => {
    const spare = await nextSpare(executor);
    const run = await executor.start(workspace.spec('other-env', quickConfig({ sequence_length: 99_999 }), { env: { OMP_WAIT_POLICY: 'ACTIVE' } }));
    expect(run.id).not.toBe(String(spare));
    expect((await run.exit).exitCode).toBe(1);
    expect(executor.sparePid).toBe(spare);
  });

  it('exits quietly when its stdin closes before a job arrives', async () => {
    const stdout: string[] = [];
    expect(await runTrainerModule('spare', [], { onStdoutLine: (line) => stdout.push(line) })).toBe(0);
    expect(stdout).toEqual([]);
  });

  it('kills the waiting spare on close() and starts no other', async () => {
    const spare = await nextSpare(executor);
    expect(alive(spare)).toBe(true);
    await executor.close();
    expect(alive(spare)).toBe(false);
    expect(executor.sparePid).toBeUndefined();
    const run = await executor.start(workspace.spec('closed', quickConfig({ sequence_length: 99_999 })));
    expect((await run.exit).exitCode).toBe(1);
    expect(executor.sparePid).toBeUndefined();
  });
});
