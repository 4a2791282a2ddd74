// Runs the Python test suite of the trainer (gpu-runner/trainer/tests) through `npm test`: one
// vitest test per Python module, failing with the module's output when it fails.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cachedTinyModel, TRAINER_DIR, trainerEnv, trainerPython } from './python';

const TESTS_DIR = path.join(TRAINER_DIR, 'tests');
const modules = readdirSync(TESTS_DIR)
  .filter((name) => /^test_.*\.py$/.test(name))
  .sort();

function runModule(file: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(trainerPython(), [path.join(TESTS_DIR, file)], {
      cwd: TESTS_DIR,
      env: trainerEnv({ LATHE_DEVICE: 'cpu' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}

describe('trainer (Python unittest modules)', () => {
  beforeAll(async () => {
    await cachedTinyModel();
  }, 300_000);

  it('has test modules', () => {
    expect(modules.length).toBeGreaterThanOrEqual(8);
  });

  for (const file of modules) {
    it(file, async () => {
      const { code, output } = await runModule(file);
      const summary = output.split('\n').filter((line) => /^(Ran |OK|FAILED|learning check|cancel:|data parallel)/.test(line));
      console.log(`${file}: ${summary.join(' | ')}`);
      expect(code, output.slice(-6000)).toBe(0);
      expect(output).toMatch(/\nOK/);
    }, 400_000);
  }
});
