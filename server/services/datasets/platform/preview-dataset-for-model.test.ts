import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { getDb } from '@/server/db';
import { autoHyperparameters } from '@/lib/universal/hyperparameters';
import { callerFor, createTestUser, type TestUser } from '@/tests/helpers/factories';
import { datasetStore } from './config';
import { previewDatasetForModel } from './preview-dataset-for-model';
import { FIXTURES, seedTokenizerModel, storeFixtureTokenizer, tenantOf, uploadAndValidate, type StoredFiles } from '@/tests/kit/datasets';

let user: TestUser;
let datasetId: string;
let files: StoredFiles;

const seedModel = (name: string, data: Record<string, unknown> = {}) => seedTokenizerModel(user, name, files, data);

/** The fixture tokenizer's files with another chat template, as a Hub import could bring them. */
async function filesWithTemplate(chatTemplate: string) {
  const config = JSON.parse(await readFile(path.join(FIXTURES, 'tokenizer', 'tokenizer_config.json'), 'utf8'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lathe-template-'));
  await writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ ...config, chat_template: chatTemplate }));
  const ref = await datasetStore().put(path.join(dir, 'tokenizer_config.json'));
  await rm(dir, { recursive: true, force: true });
  return { ...files, 'tokenizer_config.json': { sha256: ref.sha256, size: ref.size } };
}

/** Runs `work` and returns its outcome with the longest time this process's event loop was blocked meanwhile. */
async function withLoopDelay<T>(work: () => Promise<T>) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = Date.now();
  const outcome = await work().catch((error: unknown) => error);
  delay.disable();
  return { outcome, maxBlockedMs: delay.max / 1e6, elapsedMs: Date.now() - started };
}

beforeAll(async () => {
  user = await createTestUser();
  files = await storeFixtureTokenizer();
  await seedModel('preview-model');
  ({ row: { id: datasetId } } = await uploadAndValidate(user, 'good/chat.jsonl'));
});

describe('dataset.preview', () => {
  it('renders the first examples through the model\'s chat template with exactly the assistant turns trained, and estimates the cost', async () => {
    const preview = await callerFor(user).dataset.preview({ id: datasetId, model: 'preview-model', limit: 3 });
    expect(preview.model).toMatchObject({ name: 'preview-model', contextLength: 2048 });
    expect(preview.examples.map((e) => e.line)).toEqual([1, 2, 3]);
    const first = preview.examples[0]!;
    const trained = first.segments.filter((s) => s.trained).map((s) => s.text).join('');
    expect(trained).toBe('Paris.<|im_end|>');
    expect(first.segments.map((s) => s.text).join('')).toBe(
      '<|im_start|>system\nAnswer briefly.<|im_end|>\n<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\nParis.<|im_end|>\n',
    );
    expect(first.trainedTokens).toBeGreaterThan(0);
    expect(first.trainedTokens).toBeLessThan(first.tokens);
    const stats = (await callerFor(user).dataset.get({ id: datasetId })).stats!;
    // The epochs are "auto"'s, from the one rule the job form and the job use.
    const { epochs } = autoHyperparameters({ examples: stats.examples, trainedTokens: stats.estimatedTrainedTokens });
    expect(preview.cost).toEqual({
      estimatedTrainedTokens: stats.estimatedTrainedTokens,
      epochs,
      billedTokens: stats.estimatedTrainedTokens * epochs,
      pricePerMillionTokens: 3,
      credits: (stats.estimatedTrainedTokens * epochs * 3) / 1_000_000,
    });
  });

  it('accepts the model by id and reuses the materialized tokenizer folder', async () => {
    const model = await getDb().baseModel.findFirstOrThrow({ where: { name: 'preview-model', organizationId: user.organization.id } });
    const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'lathe-tokenizers-'));
    const options = { tenant: tenantOf(user), id: datasetId, model: model.id, limit: 1, cacheDir };
    const once = await previewDatasetForModel(options);
    const twice = await previewDatasetForModel(options);
    expect(twice.examples).toEqual(once.examples);
  });

  it('refuses models that cannot render chats, with the reason', async () => {
    await seedModel('no-template', { chatTemplate: false });
    await seedModel('gguf-only', { artifacts: { hf: null, gguf: { type: 'F16', ...files['tokenizer.json']! } } });
    await seedModel('importing', { status: 'DOWNLOADING', artifacts: undefined });
    const caller = callerFor(user);
    const refused = async (model: string) => (await caller.dataset.preview({ id: datasetId, model }).catch((e: unknown) => e)) as TRPCError;
    expect((await refused('no-template')).message).toMatch(/no chat template/);
    expect((await refused('gguf-only')).message).toMatch(/GGUF only/);
    expect((await refused('importing')).message).toMatch(/not ready yet/);
    expect((await refused('no-such-model')).code).toBe('NOT_FOUND');
  });

  describe('chat templates a model brings', () => {
    const saved = { timeout: process.env.LATHE_TEMPLATE_TIMEOUT_MS, memory: process.env.LATHE_TEMPLATE_MEMORY_MB };
    beforeAll(() => {
      process.env.LATHE_TEMPLATE_MEMORY_MB = '128';
    });
    afterAll(() => {
      for (const [key, value] of [['LATHE_TEMPLATE_TIMEOUT_MS', saved.timeout], ['LATHE_TEMPLATE_MEMORY_MB', saved.memory]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });

    it('a template that loops for long answers template_timeout at the time limit, and the process serves others meanwhile', async () => {
      process.env.LATHE_TEMPLATE_TIMEOUT_MS = '1500';
      const looping = "{% for i in range(2000) %}{% for j in range(2000) %}{% endfor %}{% endfor %}{% for message in messages %}{{ message['content'] }}{% endfor %}";
      await seedModel('looping-template', { artifacts: { hf: { files: await filesWithTemplate(looping) }, gguf: { type: 'F32', ...files['tokenizer.json']! } } });
      const { outcome, maxBlockedMs, elapsedMs } = await withLoopDelay(() => callerFor(user).dataset.preview({ id: datasetId, model: 'looping-template', limit: 1 }));
      expect(outcome).toBeInstanceOf(TRPCError);
      expect(outcome).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/longer than 1\.5 s/), cause: { details: { reason: 'template_timeout' } } });
      expect(maxBlockedMs).toBeLessThan(1000);
      expect(elapsedMs).toBeLessThan(60_000);
    });

    it('a template that allocates without bound answers template_memory_exceeded, and the process serves others meanwhile', async () => {
      // Time enough to reach the heap limit, which V8 approaches slowly, collecting ever harder.
      process.env.LATHE_TEMPLATE_TIMEOUT_MS = '60000';
      const hungry = "{% for i in range(10**9) %}{% endfor %}{% for message in messages %}{{ message['content'] }}{% endfor %}";
      await seedModel('hungry-template', { artifacts: { hf: { files: await filesWithTemplate(hungry) }, gguf: { type: 'F32', ...files['tokenizer.json']! } } });
      const { outcome, maxBlockedMs } = await withLoopDelay(() => callerFor(user).dataset.preview({ id: datasetId, model: 'hungry-template', limit: 1 }));
      expect(outcome).toBeInstanceOf(TRPCError);
      expect(outcome).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/128 MiB/), cause: { details: { reason: 'template_memory_exceeded' } } });
      expect(maxBlockedMs).toBeLessThan(1000);
    });

    it('after a runaway template, a sound one previews as before', async () => {
      const preview = await callerFor(user).dataset.preview({ id: datasetId, model: 'preview-model', limit: 1 });
      expect(preview.examples[0]!.segments.filter((s) => s.trained).map((s) => s.text).join('')).toBe('Paris.<|im_end|>');
    });
  });
});
