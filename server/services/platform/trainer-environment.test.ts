// Real interpreters: Debian's python3 with torch (the one the trainer tests use), the same
// interpreter started with -S so it cannot see torch, and ones that are no Python at all.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  detectTrainerEnvironment,
  probePython,
  requireTrainerPython,
  setUpTrainerEnvironment,
  trainerUnavailableMessage,
} from '@/server/services/platform/trainer-environment';

let dir: string;
let withoutTorch: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-trainer-env-'));
  // Without site-packages Debian's interpreter has no torch: a Python that runs but cannot train.
  withoutTorch = path.join(dir, 'python-without-torch');
  fs.writeFileSync(withoutTorch, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n', { mode: 0o755 });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A port nothing listens on: a package index that does not answer. */
async function closedPort() {
  return new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('trainer environment', () => {
  it('finds an interpreter with torch and reports its version and BLAS', async () => {
    const environment = await detectTrainerEnvironment({ dataDir: dir, env: { ...process.env, LATHE_PYTHON: '' } });
    expect(environment.available).toBe(true);
    if (!environment.available) return;
    expect(environment.probe.torch?.version).toMatch(/^\d+\.\d+/);
    // On a machine too busy to import torch within the probe's time, BLAS stays unknown (below).
    if (environment.probe.torch?.loaded) expect(environment.probe.torch.blas).toMatch(/^(OpenBLAS|MKL|BLIS|Accelerate|reference BLAS|\S+)$/);
    expect(environment.probe.pythonVersion).toMatch(/^3\./);
  });

  it('reports an explicit LATHE_PYTHON that is no Python, without falling back to one that works', async () => {
    const environment = await detectTrainerEnvironment({ dataDir: dir, env: { ...process.env, LATHE_PYTHON: '/usr/bin/false' } });
    expect(environment.available).toBe(false);
    if (environment.available) return;
    expect(environment.probes.map((p) => p.python)).toEqual(['/usr/bin/false']);
    expect(trainerUnavailableMessage(environment)).toBe(
      'Training is unavailable: LATHE_PYTHON=/usr/bin/false is not a working Python interpreter (it exited with code 1). Fix: unset LATHE_PYTHON',
    );
    await expect(requireTrainerPython({ dataDir: dir, env: { ...process.env, LATHE_PYTHON: '/usr/bin/false' } })).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      details: { reason: 'trainer_unavailable' },
    });
  });

  it('tells a missing interpreter, one without torch and one that hangs apart', async () => {
    expect(await probePython(path.join(dir, 'nowhere', 'python3'), 'LATHE_PYTHON')).toMatchObject({ status: 'missing', problem: 'was not found' });
    expect(await probePython(withoutTorch, 'LATHE_PYTHON')).toMatchObject({ status: 'no-torch', problem: 'has no PyTorch', pythonVersion: expect.stringMatching(/^3\./) });
    const sleeper = path.join(dir, 'sleeper');
    fs.writeFileSync(sleeper, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const started = Date.now();
    expect(await probePython(sleeper, 'LATHE_PYTHON', { timeoutMs: 500 })).toMatchObject({ status: 'timeout' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('counts a torch that is installed but slow to load as present, its details unknown', async () => {
    // A torch whose import outlasts the probe, as on a machine too busy to load the real one in time.
    const packages = path.join(dir, 'slow-packages');
    fs.mkdirSync(path.join(packages, 'torch'), { recursive: true });
    fs.mkdirSync(path.join(packages, 'numpy'), { recursive: true });
    fs.writeFileSync(path.join(packages, 'torch', '__init__.py'), 'import time\ntime.sleep(30)\n');
    fs.writeFileSync(path.join(packages, 'numpy', '__init__.py'), '');
    const probe = await probePython(withoutTorch, 'LATHE_PYTHON', { timeoutMs: 3_000, env: { ...process.env, PYTHONPATH: packages } });
    expect(probe).toMatchObject({ status: 'ok', problem: '', torch: { loaded: false, blas: 'unknown' } });
  });

  it('gives the command that installs torch into an explicit interpreter that lacks it', async () => {
    const environment = await detectTrainerEnvironment({ dataDir: dir, env: { ...process.env, LATHE_PYTHON: withoutTorch } });
    expect(environment.available).toBe(false);
    if (environment.available) return;
    expect(environment.reason).toBe(`LATHE_PYTHON=${withoutTorch} has no PyTorch`);
    expect(environment.fix).toMatch(/(apt-get install -y python3-torch|-m pip install torch)/);
  });

  it('sets up a virtual environment when no interpreter has torch, and gives up quickly when no package index answers', async () => {
    const dataDir = path.join(dir, 'data');
    // pip reads this machine's configuration too; the test wants only the index it names.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PIP_'))) as NodeJS.ProcessEnv;
    const lines: string[] = [];
    const started = Date.now();
    const outcome = await setUpTrainerEnvironment({
      dataDir,
      env: { ...env, LATHE_PYTHON: '', PIP_CONFIG_FILE: os.devNull, PIP_INDEX_URL: `http://127.0.0.1:${await closedPort()}/simple`, LATHE_TORCH_INDEX_URL: `http://127.0.0.1:${await closedPort()}/cpu` },
      candidates: [{ python: withoutTorch, source: 'path' }],
      apt: false,
      log: (line) => lines.push(line),
    });
    expect(outcome.environment.available).toBe(false);
    if (outcome.environment.available) return;
    expect(lines.join('\n')).toMatch(/creating .*venv/);
    expect(fs.existsSync(path.join(dataDir, 'venv', 'bin', 'python'))).toBe(true);
    expect(outcome.attempts).toEqual([expect.stringMatching(/^pip could not install torch/)]);
    // The venv it made is now among what was tried, and the fix names it.
    expect(outcome.environment.probes.map((p) => p.source)).toEqual(['path', 'venv']);
    expect(outcome.environment.fix).toMatch(/apt-get install|venv\/bin\/python -m pip install torch/);
    expect(Date.now() - started).toBeLessThan(90_000);
  });

  it('answers from memory the second time', async () => {
    const options = { dataDir: dir, env: { ...process.env, LATHE_PYTHON: withoutTorch } };
    const first = detectTrainerEnvironment(options);
    expect(detectTrainerEnvironment(options)).toBe(first);
    expect((await first).available).toBe(false);
  });
});
