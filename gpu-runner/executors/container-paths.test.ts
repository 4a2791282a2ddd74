// The paths a containerised trainer reports are the container's; the runner reads what they name
// on the host, so only what lies inside the job's output folder may be handed on.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TTrainerEvent } from '@/gpu-runner/trainer/events';
import { containerStdout } from './docker';
import type { TrainerJobSpec } from './types';

const root = mkdtempSync(path.join(os.tmpdir(), 'lathe-container-paths-'));
const outputDir = path.join(root, 'out');
const outside = path.join(root, 'host-secrets');
mkdirSync(path.join(outputDir, 'adapter'), { recursive: true });
mkdirSync(outside);
writeFileSync(path.join(outside, 'id_rsa'), 'secret');
symlinkSync(outside, path.join(outputDir, 'linked'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const spec: TrainerJobSpec = { jobId: 'paths', modelDir: '/m', dataDir: '/d', trainFile: 't.ltok', config: {}, outputDir };

function feed(event: Record<string, unknown>) {
  const events: TTrainerEvent[] = [];
  const invalid: string[] = [];
  const line = containerStdout(spec, { onEvent: (e) => events.push(e), onInvalidEvent: (_line, problem) => invalid.push(problem) });
  line(JSON.stringify(event));
  return { events, invalid };
}

const done = (adapterPath: string, metricsPath = '/out/metrics.csv') => ({
  event: 'done',
  step: 4,
  adapter_path: adapterPath,
  metrics_path: metricsPath,
  metrics: { steps: 4, train_loss: 1, train_accuracy: 0.5, valid_loss: null, valid_mean_token_accuracy: null, trained_tokens: 10, train_seconds: 1, tokens_per_s: 10 },
});

describe('paths reported from inside a trainer container', () => {
  it('maps paths inside /out to the job output folder', () => {
    const { events, invalid } = feed(done('/out/adapter'));
    expect(invalid).toEqual([]);
    expect(events).toEqual([expect.objectContaining({ adapter_path: path.join(outputDir, 'adapter'), metrics_path: path.join(outputDir, 'metrics.csv') })]);
  });

  it('refuses an adapter_path outside /out instead of handing on a host path', () => {
    for (const escape of ['/etc', '/out/../etc', '/outside/adapter', 'adapter']) {
      const { events, invalid } = feed(done(escape));
      expect(events, escape).toEqual([]);
      expect(invalid, escape).toEqual([expect.stringContaining('outside /out')]);
    }
  });

  it('refuses a path inside /out that a symlink leads out of the output folder', () => {
    for (const event of [done('/out/linked'), done('/out/adapter', '/out/linked/id_rsa'), { event: 'checkpoint', step: 2, path: '/out/linked' }]) {
      const { events, invalid } = feed(event);
      expect(events).toEqual([]);
      expect(invalid).toEqual([expect.stringContaining('outside /out')]);
    }
  });
});
