// `lathe doctor` and a trainer-bound command on a host whose Python cannot train: the real CLI in a
// child process, with real interpreters (Debian's python3 with torch; the same with -S, which hides
// torch; /usr/bin/false, which is no Python at all).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLathe } from '@/tests/helpers/cli';

let dir: string;
let withoutTorch: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-doctor-'));
  withoutTorch = path.join(dir, 'python-without-torch');
  fs.writeFileSync(withoutTorch, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n', { mode: 0o755 });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const noStackTrace = (text: string) => {
  expect(text).not.toMatch(/Traceback/);
  expect(text).not.toMatch(/^\s+at /m);
};

describe('lathe doctor', () => {
  it('passes on a host that has what the platform needs, naming torch, its BLAS and the database', async () => {
    const res = await runLathe(['doctor'], { LATHE_PYTHON: '' });
    expect(res.stdout).toMatch(/^Node\.js\s+ok\s+\d+\.\d+\.\d+/m);
    // The second form is a machine too busy to import torch within the probe's time.
    expect(res.stdout).toMatch(/^Python and PyTorch\s+(ok|warn)\s+\S+ \(Python 3\.\d+\.\d+\): torch \d+\.\d+\S*(, (OpenBLAS|MKL|BLIS|reference BLAS|\S+)| and NumPy are installed, but torch did not load)/m);
    expect(res.stdout).toMatch(/^Database\s+ok\s+PostgreSQL \d+/m);
    expect(res.stdout).toMatch(/^Artifact store\s+ok\s+/m);
    expect(res.stdout).toMatch(/^Disk\s+(ok|warn)\s+[\d.]+ GiB free/m);
    expect(res.stdout).toMatch(/^Docker engine\s+(ok|warn)\s/m);
    expect(res.stdout).toMatch(/^GPUs\s+(ok|warn)\s/m);
    expect(res.stdout).toMatch(/^Web port\s+(ok|warn)\s/m);
    expect(res.stdout).toMatch(/^ready/m);
    expect(res.code).toBe(0);
  });

  it('lists an explicit LATHE_PYTHON that cannot train, with its fix, and exits non-zero', async () => {
    const res = await runLathe(['doctor'], { LATHE_PYTHON: '/usr/bin/false', LATHE_EXECUTOR: 'process' });
    expect(res.stdout).toMatch(/^Python and PyTorch\s+FAIL\s+LATHE_PYTHON=\/usr\/bin\/false is not a working Python interpreter \(it exited with code 1\)$/m);
    expect(res.stdout).toMatch(/^\s+fix: unset LATHE_PYTHON$/m);
    expect(res.stdout).toMatch(/^1 problem to fix: Python and PyTorch$/m);
    noStackTrace(res.stdout + res.stderr);
    expect(res.code).toBe(1);
  });

  it('reports a database that does not answer', async () => {
    const res = await runLathe(['doctor'], { DATABASE_URL: 'postgresql://lathe@127.0.0.1:1/lathe' });
    expect(res.stdout).toMatch(/^Database\s+FAIL\s+DATABASE_URL \(127\.0\.0\.1:1\/lathe\) does not answer: /m);
    expect(res.code).toBe(1);
  });
});

describe('commands that run the trainer, on a host that cannot train', () => {
  it('say so in one line with the fix, write nothing and exit non-zero', async () => {
    const out = path.join(dir, 'tiny');
    const res = await runLathe(['fixtures', 'tiny-model', '--out', out], { LATHE_PYTHON: '/usr/bin/false' });
    expect(res.stderr).toBe('lathe: Training is unavailable: LATHE_PYTHON=/usr/bin/false is not a working Python interpreter (it exited with code 1). Fix: unset LATHE_PYTHON\n');
    expect(res.stdout).toBe('');
    expect(res.code).toBe(1);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('name an interpreter without torch and how to install it, without a traceback', async () => {
    const res = await runLathe(['fixtures', 'tiny-model', '--out', path.join(dir, 'tiny-2')], { LATHE_PYTHON: withoutTorch });
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(new RegExp(`^lathe: Training is unavailable: LATHE_PYTHON=${withoutTorch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} has no PyTorch\\. Fix: (sudo )?(apt-get install -y python3-torch|\\S+ -m pip install torch)`));
    noStackTrace(res.stderr);
    expect(res.code).toBe(1);
  });
});
