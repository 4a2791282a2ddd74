// The Slurm executor against a real one-node cluster (tests/helpers/slurm-cluster.ts). Without
// Slurm the tests skip with the reason printed, unless LATHE_REQUIRE_SLURM=1, where that is a failure.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLURM_REQUIRED, startSlurmCluster, type SlurmCluster } from '@/tests/helpers/slurm-cluster';
import type { TTrainerEvent } from '@/gpu-runner/trainer/events';
import { batchScript, createSlurmExecutor, parseScontrol, parseSinfo, slurmFailure, type SlurmExecutor, type SlurmRun } from './slurm';
import { createWorkspace, defineExecutorContract, quickConfig, waitFor, type Workspace } from './test-workspace';

const started = await startSlurmCluster();
const cluster: SlurmCluster | null = 'reason' in started ? null : started;
if (!cluster) console.warn(`SKIPPED: Slurm executor tests: ${'reason' in started ? started.reason : ''}`);

describe('slurm state mapping', () => {
  it('reads scontrol and says what the scheduler did', () => {
    const info = parseScontrol('JobId=42 JobName=lathe-x JobState=TIMEOUT Reason=TimeLimit Restarts=0 ExitCode=0:15 TimeLimit=00:01:00 Partition=gpu NodeList=n[1-2] Command=/x');
    expect(info).toMatchObject({ jobId: '42', state: 'TIMEOUT', partition: 'gpu', nodes: 'n[1-2]', signal: 15, timeLimit: '00:01:00' });
    expect(slurmFailure(info!, 12)).toEqual({ code: 'slurm_timeout', message: 'The Slurm job 42 reached its time limit of 00:01:00 at step 12 and Slurm stopped it (TIMEOUT). Ask for a longer time limit or train fewer steps.' });
    expect(slurmFailure({ ...info!, state: 'NODE_FAIL' }, null)?.message).toContain('NODE_FAIL on n[1-2]');
    expect(slurmFailure({ ...info!, state: 'COMPLETED' }, null)).toBeNull();
  });

  it('asks sbatch for the request and starts one torchrun per node, meeting at the first node', () => {
    const saved = process.env.CUDA_VISIBLE_DEVICES;
    process.env.CUDA_VISIBLE_DEVICES = '0';
    try {
      const spec = { jobId: 'j1', modelDir: '/shared/m', dataDir: '/shared/d', trainFile: 'train.ltok', config: {}, outputDir: '/shared/out' };
      const script = batchScript(spec, { partition: 'gpu', account: 'ml', qos: 'high', timeLimit: '1-00:00:00', nodes: 2, gpusPerNode: 4 }, { python: '/usr/bin/python3', rendezvousPort: 29400 });
      for (const option of ['--partition=gpu', '--account=ml', '--qos=high', '--time=1-00:00:00', '--nodes=2', '--ntasks-per-node=4', '--gres=gpu:4', '--requeue', '--open-mode=append']) {
        expect(script).toContain(`#SBATCH ${option}\n`);
      }
      expect(script).toMatch(/srun --ntasks=2 --ntasks-per-node=1 .* -m lathe_trainer\.launch --nnodes=2 --nproc_per_node=4 --rdzv_backend=c10d --rdzv_endpoint="\$head:\$port" .*'-m' 'lathe_trainer\.train'/);
      // Slurm picks the GPUs; the login node's own setting does not reach the job.
      expect(script).not.toContain('CUDA_VISIBLE_DEVICES');
      expect(script).not.toContain('LATHE_DEVICE');
    } finally {
      if (saved === undefined) delete process.env.CUDA_VISIBLE_DEVICES;
      else process.env.CUDA_VISIBLE_DEVICES = saved;
    }
  });

  it('reads the partitions and node states from sinfo', () => {
    expect(parseSinfo('gpu*|n1|mixed|64|gpu:a100:8\ngpu*|n2|drained|64|gpu:a100:8\ncpu|c1|idle|128|(null)\n')).toEqual([
      { name: 'gpu', default: true, nodes: [{ name: 'n1', state: 'mixed', cpus: 64, gres: 'gpu:a100:8' }, { name: 'n2', state: 'drained', cpus: 64, gres: 'gpu:a100:8' }] },
      { name: 'cpu', default: false, nodes: [{ name: 'c1', state: 'idle', cpus: 128, gres: null }] },
    ]);
  });
});

if (!cluster && SLURM_REQUIRED) {
  it('has a Slurm cluster because LATHE_REQUIRE_SLURM=1', () => {
    expect.fail(`LATHE_REQUIRE_SLURM=1 but Slurm did not start: ${'reason' in started ? started.reason : ''}`);
  });
}

describe.skipIf(!cluster)('slurm executor', () => {
  let workspace: Workspace;
  const executor = (): SlurmExecutor => createSlurmExecutor({ env: cluster!.env, defaults: { partition: cluster!.partition }, pollMs: 100 });
  beforeAll(async () => {
    workspace = await createWorkspace();
  }, 300_000);
  afterAll(async () => {
    rmSync(workspace.root, { recursive: true, force: true });
    await cluster?.stop();
  });

  defineExecutorContract(executor, () => workspace);

  const runUntil = async (name: string, config: Record<string, unknown>, until: (e: TTrainerEvent) => boolean) => {
    const events: TTrainerEvent[] = [];
    let reached!: () => void;
    const there = new Promise<void>((resolve) => (reached = resolve));
    const spec = workspace.spec(name, config);
    const run = await executor().start(spec, { onEvent: (e) => (events.push(e), until(e) && reached()) });
    await there;
    return { spec, run, events };
  };

  it('re-attaches from the output offset after the runner let go, with every event exactly once', async () => {
    const { spec, run, events } = await runUntil('attach', quickConfig({ epochs: 3 }), (e) => e.event === 'progress' && e.step >= 2);
    run.detach();
    const offset = run.offset;
    const later: TTrainerEvent[] = [];
    const again = await executor().attach(spec, run.id, offset, { onEvent: (e) => later.push(e) });
    expect((await again.exit).exitCode).toBe(0);
    const all = [...events, ...later];
    const steps = all.filter((e) => e.event === 'progress').map((e) => (e.event === 'progress' ? e.step : 0));
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
    expect(all.filter((e) => e.event === 'started')).toHaveLength(1);
    expect(all.at(-1)?.event).toBe('done');
  });

  it('resumes a requeued job from its newest checkpoint', async () => {
    const { run, events } = await runUntil('requeue', quickConfig({ epochs: 200, checkpoint_interval: 2 }), (e) => e.event === 'checkpoint');
    const checkpoint = events.find((e) => e.event === 'checkpoint');
    execFileSync('scontrol', ['requeue', run.id], { env: cluster!.env });
    // Slurm holds a requeued job back for a while (Reason=BeginTime); an operator can release it now.
    for (let info = await executor().query(run.id); info?.state !== 'PENDING'; info = await executor().query(run.id)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    execFileSync('scontrol', ['update', `JobId=${run.id}`, 'StartTime=now'], { env: cluster!.env });
    const resumed = await waitFor('the requeued trainer to start again', () => events.filter((e) => e.event === 'started')[1], 120_000);
    await run.cancel(10_000);
    expect(resumed.event === 'started' && resumed.resumed_from).toMatch(/checkpoints\/step-\d+$/);
    expect(resumed.event === 'started' && resumed.start_step).toBeGreaterThanOrEqual(checkpoint?.event === 'checkpoint' ? checkpoint.step : Infinity);
    expect((await run.exit).cancelled).toBe(true);
  });

  it('maps a job cancelled outside Lathe to a failure that says so', async () => {
    const { run } = await runUntil('outside', quickConfig({ epochs: 200 }), (e) => e.event === 'progress');
    execFileSync('scancel', [run.id], { env: cluster!.env });
    const exit = await run.exit;
    expect(exit.cancelled).toBe(false);
    expect(exit.failure?.code).toBe('slurm_cancelled');
    expect(exit.failure?.message).toMatch(new RegExp(`^The Slurm job ${run.id} was cancelled outside Lathe at step \\d+`));
    expect((run as SlurmRun).info?.state).toBe('CANCELLED');
    expect((run as SlurmRun).info?.partition).toBe(cluster!.partition);
  });

  it("reads this cluster's partition from sinfo", async () => {
    const { readPartitions } = await import('./slurm');
    expect(await readPartitions(cluster!.env)).toEqual([{ name: cluster!.partition, default: true, nodes: [expect.objectContaining({ name: cluster!.node, cpus: cluster!.cpus })] }]);
  });

  it('explains a job that Slurm refuses', async () => {
    const spec = workspace.spec('refused', quickConfig(), { slurm: { partition: 'no-such-partition' } });
    await expect(executor().start(spec)).rejects.toThrow(/^Slurm refused the job \(sbatch\): .*partition/i);
  });
});
