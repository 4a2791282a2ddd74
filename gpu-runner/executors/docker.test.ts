// Runs the real trainer image on the fixture. Without a Docker engine these tests are skipped with
// the reason printed, unless LATHE_REQUIRE_DOCKER=1, where the missing engine is a failure.
import { rmSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDockerEngine } from '@/gpu-runner/docker/engine';
import { ensureTrainerImage } from '@/gpu-runner/images/build';
import { containerConfig, createDockerExecutor, JOB_LABEL, RUNNER_LABEL, removeOrphans } from './docker';
import { createWorkspace, defineExecutorContract, quickConfig, type Workspace } from './test-workspace';

const engine = await ensureDockerEngine();
const required = process.env.LATHE_REQUIRE_DOCKER === '1';
if (!engine.docker) {
  console.warn(`\n*** SKIPPING the Docker executor tests: ${engine.reason} ***\n`);
}

if (!engine.docker && required) {
  describe('docker executor (required)', () => {
    it('has a Docker engine because LATHE_REQUIRE_DOCKER=1', () => {
      expect.fail(`LATHE_REQUIRE_DOCKER=1 but no Docker engine: ${engine.docker ? '' : engine.reason}`);
    });
  });
}

describe.skipIf(!engine.docker)('docker executor', () => {
  const docker = engine.docker as Dockerode;
  const runnerId = `test-runner-${process.pid}`;
  let workspace: Workspace;
  let image = '';

  beforeAll(async () => {
    [workspace, image] = await Promise.all([createWorkspace(), ensureTrainerImage(docker)]);
  }, 900_000);
  afterAll(async () => {
    await removeOrphans(docker, runnerId);
    rmSync(workspace.root, { recursive: true, force: true });
  });

  defineExecutorContract(() => createDockerExecutor({ docker, image, runnerId }), () => workspace);

  it('reports a container killed for exceeding its memory limit', async () => {
    const executor = createDockerExecutor({ docker, image, runnerId });
    const run = await executor.start(workspace.spec('oom', quickConfig(), { memoryBytes: 64 * 2 ** 20 }));
    const exit = await run.exit;
    expect(exit.oomKilled).toBe(true);
    expect(exit.exitCode).toBe(137);
  });

  it('isolates the trainer: read-only inputs, no network, limits, labels', async () => {
    const spec = workspace.spec('config', quickConfig(), { memoryBytes: 2 ** 30, cpus: 1.5 });
    const config = containerConfig(spec, { docker, image, runnerId });
    expect(config.HostConfig?.Binds).toEqual([
      `${workspace.modelDir}:/model:ro`,
      `${workspace.dataDir}:/data:ro`,
      `${spec.outputDir}:/out:rw`,
    ]);
    expect(config.HostConfig?.NetworkMode).toBe('none');
    expect(config.HostConfig?.Memory).toBe(2 ** 30);
    expect(config.HostConfig?.NanoCpus).toBe(1.5e9);
    expect(config.HostConfig?.DeviceRequests).toBeUndefined();
    expect(config.Labels).toEqual({ [JOB_LABEL]: spec.jobId, [RUNNER_LABEL]: runnerId });
    const gpu = containerConfig({ ...spec, gpus: ['0', '1'] }, { docker, image, gpuImage: 'lathe/trainer-cuda:x', runnerId });
    expect(gpu.Image).toBe('lathe/trainer-cuda:x');
    expect(gpu.HostConfig?.DeviceRequests).toEqual([{ Driver: 'nvidia', DeviceIDs: ['0', '1'], Capabilities: [['gpu']] }]);
    expect(gpu.Cmd?.slice(0, 4)).toEqual(['python3', '-m', 'lathe_trainer.launch', '--standalone']);

    const probe = await docker.createContainer({
      ...config,
      Cmd: ['python3', '-c', 'import socket,os; s=socket.socket(); s.settimeout(2)\ntry:\n  s.connect(("1.1.1.1",80)); print("net")\nexcept OSError: print("no-net")\ntry:\n  open("/model/x","w"); print("model-writable")\nexcept OSError: print("model-ro")'],
    });
    const waited = probe.wait({ condition: 'next-exit' });
    await probe.start();
    await waited;
    const logs = (await probe.logs({ stdout: true, stderr: true })).toString();
    await probe.remove({ force: true });
    expect(logs).toContain('no-net');
    expect(logs).toContain('model-ro');
  });

  it('removes the containers a crashed runner left behind', async () => {
    const executor = createDockerExecutor({ docker, image, runnerId });
    const run = await executor.start(workspace.spec('orphan', quickConfig({ epochs: 500 })));
    const other = await docker.listContainers({ all: true, filters: { label: [`${RUNNER_LABEL}=${runnerId}`] } });
    expect(other.map((c) => c.Id)).toContain(run.id);
    const removed = await removeOrphans(docker, runnerId);
    expect(removed).toContain(run.id);
    const exit = await run.exit.catch(() => null);
    expect(exit === null || exit.exitCode !== 0).toBe(true);
    const left = await docker.listContainers({ all: true, filters: { label: [`${RUNNER_LABEL}=${runnerId}`] } });
    expect(left).toEqual([]);
  });
});
