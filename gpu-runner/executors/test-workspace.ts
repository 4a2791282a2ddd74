// A job workspace on the tiny fixture model for executor tests: tokenized chats in a data folder
// and a fresh output folder.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cachedTinyModel, runTrainerModule } from '@/gpu-runner/trainer/python';
import { expect, it } from 'vitest';
import type { TTrainerEvent } from '@/gpu-runner/trainer/events';
import type { TrainerExecutor, TrainerJobSpec, TrainerRun } from './types';

const NOUNS = ['lantern', 'river', 'violin', 'harbour', 'pepper', 'comet', 'garden', 'anchor', 'marble', 'falcon', 'orchid', 'teapot', 'glacier', 'ribbon', 'cactus', 'meadow'];

export interface Workspace {
  root: string;
  modelDir: string;
  dataDir: string;
  spec(name: string, config: Record<string, unknown>, extra?: Partial<TrainerJobSpec>): TrainerJobSpec;
}

export async function createWorkspace(): Promise<Workspace> {
  const modelDir = await cachedTinyModel();
  const root = mkdtempSync(path.join(os.tmpdir(), 'lathe-executor-'));
  const dataDir = path.join(root, 'data');
  const chats = NOUNS.map((noun, i) => ({
    messages: [
      { role: 'user', content: `What is the code for the ${noun}?` },
      { role: 'assistant', content: `The code is ${(i * 7919).toString(36)}-${100 + i * 37}.` },
    ],
  }));
  mkdirSync(dataDir);
  const source = path.join(root, 'chats.jsonl');
  writeFileSync(source, chats.map((c) => JSON.stringify(c)).join('\n') + '\n');
  for (const [name, file] of [
    ['train.ltok', source],
    ['valid.ltok', source],
  ] as const) {
    const code = await runTrainerModule('encode_chats', ['--model', modelDir, '--in', file, '--out', path.join(dataDir, name)]);
    if (code !== 0) throw new Error(`encoding ${name} failed (exit ${code})`);
  }
  return {
    root,
    modelDir,
    dataDir,
    spec: (name, config, extra = {}) => ({
      jobId: `${name}-${Date.now().toString(36)}`,
      modelDir,
      dataDir,
      trainFile: 'train.ltok',
      validFile: 'valid.ltok',
      config,
      outputDir: path.join(root, name),
      cpus: 1,
      ...extra,
    }),
  };
}

export const quickConfig = (overrides: Record<string, unknown> = {}) => ({
  epochs: 2,
  batch_size: 4,
  learning_rate: 0.003,
  lora: { r: 8, alpha: 16, dropout: 0 },
  seed: 5,
  log_interval: 1,
  ...overrides,
});

/** Polls `probe` until it returns a value (tests of processes that change state on their own). */
export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function kinds(events: TTrainerEvent[]): string[] {
  return [...new Set(events.map((e) => e.event))];
}

/** The behaviour both executors share, run against the real trainer. */
export function defineExecutorContract(getExecutor: () => TrainerExecutor, getWorkspace: () => Workspace): void {
  it('fine-tunes the fixture and publishes the adapter and metrics', async () => {
    const workspace = getWorkspace();
    const spec = workspace.spec('train', quickConfig());
    const events: TTrainerEvent[] = [];
    const stderr: string[] = [];
    const run = await getExecutor().start(spec, { onEvent: (e) => events.push(e), onStderrLine: (l) => stderr.push(l) });
    const exit = await run.exit;
    expect(exit, stderr.join('\n')).toEqual({ exitCode: 0, oomKilled: false, cancelled: false });
    expect(kinds(events)).toEqual(['started', 'progress', 'eval', 'checkpoint', 'done']);
    const done = events.at(-1);
    expect(done?.event).toBe('done');
    if (done?.event !== 'done') return;
    expect(done.adapter_path).toBe(path.join(spec.outputDir, 'adapter'));
    expect(existsSync(path.join(done.adapter_path, 'adapter_model.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(done.adapter_path, 'adapter_config.json'), 'utf8')).peft_type).toBe('LORA');
    expect(readFileSync(done.metrics_path, 'utf8').split('\n')[0]).toBe('step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy');
    const progress = events.filter((e) => e.event === 'progress');
    expect(progress.length).toBe(8);
    expect(stderr.some((line) => line.includes('[lathe-trainer]'))).toBe(true);
  });

  it('cancels with SIGTERM into a checkpoint that a second run resumes', async () => {
    const workspace = getWorkspace();
    const config = quickConfig({ epochs: 200, checkpoint_interval: 1000 });
    const spec = workspace.spec('cancel', config);
    const events: TTrainerEvent[] = [];
    let run: TrainerRun | undefined;
    const reachedStep = new Promise<void>((resolve) => {
      const handlers = {
        onEvent: (e: TTrainerEvent) => {
          events.push(e);
          if (e.event === 'progress' && e.step >= 2) resolve();
        },
      };
      void getExecutor()
        .start(spec, handlers)
        .then((r) => (run = r));
    });
    await reachedStep;
    const before = Date.now();
    await run!.cancel(20_000);
    const exit = await run!.exit;
    expect(Date.now() - before).toBeLessThan(15_000);
    expect(exit).toEqual({ exitCode: 0, oomKilled: false, cancelled: true });
    const cancelled = events.find((e) => e.event === 'cancelled');
    expect(cancelled?.event).toBe('cancelled');
    if (cancelled?.event !== 'cancelled' || !cancelled.checkpoint) throw new Error('no checkpoint on cancel');
    expect(cancelled.checkpoint.startsWith(spec.outputDir)).toBe(true);
    expect(existsSync(path.join(cancelled.checkpoint, 'trainer_state.json'))).toBe(true);
    expect(existsSync(path.join(spec.outputDir, 'adapter'))).toBe(false);

    const resumedEvents: TTrainerEvent[] = [];
    const resumed = await getExecutor().start(
      { ...spec, jobId: `${spec.jobId}-resume`, resumeFrom: cancelled.checkpoint },
      { onEvent: (e) => resumedEvents.push(e) },
    );
    const started = await new Promise<TTrainerEvent>((resolve) => {
      const timer = setInterval(() => {
        const found = resumedEvents.find((e) => e.event === 'progress');
        if (found) {
          clearInterval(timer);
          resolve(resumedEvents[0]!);
        }
      }, 50);
    });
    await resumed.cancel(20_000);
    expect(started.event).toBe('started');
    if (started.event === 'started') expect(started.start_step).toBe(cancelled.step);
  });

  it('runs data-parallel trainer processes on the CPU', async () => {
    const workspace = getWorkspace();
    const spec = workspace.spec('parallel', quickConfig({ epochs: 1 }), { processes: 2, cpus: 2 });
    const events: TTrainerEvent[] = [];
    const run = await getExecutor().start(spec, { onEvent: (e) => events.push(e) });
    expect((await run.exit).exitCode).toBe(0);
    const started = events.find((e) => e.event === 'started');
    expect(started?.event === 'started' && started.world_size).toBe(2);
    expect(started?.event === 'started' && started.threads).toBe(1);
    expect(events.filter((e) => e.event === 'started')).toHaveLength(1);
    expect(events.at(-1)?.event).toBe('done');
  });

  it('reports bad input as an error event and a non-zero exit', async () => {
    const workspace = getWorkspace();
    const spec = workspace.spec('bad', quickConfig({ sequence_length: 99_999 }));
    const events: TTrainerEvent[] = [];
    const run = await getExecutor().start(spec, { onEvent: (e) => events.push(e) });
    const exit = await run.exit;
    expect(exit.exitCode).toBe(1);
    expect(events).toEqual([expect.objectContaining({ event: 'error', code: 'sequence_length_exceeds_context' })]);
  });
}
