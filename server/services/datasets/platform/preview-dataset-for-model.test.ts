import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { getDb } from '@/server/db';
import { callerFor, createTestUser, type TestUser } from '@/tests/helpers/factories';
import { previewDatasetForModel } from './preview-dataset-for-model';
import { seedTokenizerModel, storeFixtureTokenizer, tenantOf, uploadAndValidate, type StoredFiles } from '../../../../tests/kit/datasets';

let user: TestUser;
let datasetId: string;
let files: StoredFiles;

const seedModel = (name: string, data: Record<string, unknown> = {}) => seedTokenizerModel(user, name, files, data);

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
    expect(preview.cost).toEqual({
      estimatedTrainedTokens: stats.estimatedTrainedTokens,
      epochs: 8,
      billedTokens: stats.estimatedTrainedTokens * 8,
      pricePerMillionTokens: 3,
      credits: (stats.estimatedTrainedTokens * 8 * 3) / 1_000_000,
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
});
