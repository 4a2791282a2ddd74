import { existsSync } from 'node:fs';
import path from 'node:path';
import type { TenantContext } from '@/server/db/tenant';
import type { BaseModel } from '@/server/generated/prisma/client';
import type { ArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { DatasetError } from '@/server/services/datasets/dataset-error';
import { autoHyperparameters, estimateCost } from '@/server/services/datasets/estimate-cost';
import { hiddenSizeOf } from '@/lib/universal/hyperparameters';
import { previewDataset, type PreviewExample } from '@/server/services/datasets/preview-dataset';
import { LatheError } from '@/server/services/errors';
import { ModelError } from '@/server/services/model-format/errors';
import { materializeModelFolder, parseModelArtifacts } from '@/server/services/model-registry/model-artifacts';
import { dataDir, datasetStore } from './config';
import { isFinalStats } from './dataset-views';
import { findDataset } from './read-datasets';
import { trainingPricePerMillion } from '@/lib/universal/price-book';
import { getPriceBook } from '@/server/services/billing/price-book';
import { getDb } from '@/server/db';

/** The files the chat tokenizer reads: the preview needs these, not the weights. */
const TOKENIZER_FILES = new Set(['tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja']);
export const MAX_PREVIEW_EXAMPLES = 20;

export interface PreviewDatasetForModelOptions {
  tenant: TenantContext;
  id: string;
  /** A base model's name or id, among those the project can use. */
  model: string;
  limit?: number;
  store?: ArtifactStore;
  cacheDir?: string;
}

export interface CostPreview {
  /** Estimated from characters until a job tokenizes the file with this model's tokenizer. */
  estimatedTrainedTokens: number;
  epochs: number;
  billedTokens: number;
  pricePerMillionTokens: number;
  credits: number;
}

export interface DatasetModelPreview {
  model: { id: string; name: string; contextLength: number | null };
  examples: PreviewExample[];
  skippedLines: number[];
  cost: CostPreview | null;
}

/**
 * The first examples rendered through the chosen base model's chat template, split into trained
 * and context text exactly as tokenization will mask them, and what a job on this dataset with
 * automatic epochs would cost on that model.
 */
export async function previewDatasetForModel({
  tenant,
  id,
  model: modelRef,
  limit = 5,
  store = datasetStore(),
  cacheDir = path.join(dataDir(), 'cache', 'tokenizers'),
}: PreviewDatasetForModelOptions): Promise<DatasetModelPreview> {
  const dataset = await findDataset({ db: tenant.db, id });
  if (!dataset.sha256) throw new LatheError('PRECONDITION_FAILED', 'The dataset has no stored file to preview.');
  const model = await tenant.db.baseModel.findFirst({
    where: { OR: [{ id: modelRef }, { name: modelRef }] },
    orderBy: { organizationId: { sort: 'asc', nulls: 'last' } },
  });
  if (!model) throw new LatheError('NOT_FOUND', `The model '${modelRef}' does not exist or is not available to this project.`, { param: 'model', reason: 'model_not_found' });
  if (model.status !== 'READY') throw new LatheError('BAD_REQUEST', `The model '${model.name}' is not ready yet (${model.status.toLowerCase()}).`, { param: 'model', reason: 'model_not_ready' });
  if (!model.chatTemplate) {
    throw new LatheError('BAD_REQUEST', `The model '${model.name}' has no chat template, so it cannot be fine-tuned on chat data. Choose a chat-capable model.`, { param: 'model', reason: 'missing_chat_template' });
  }
  const modelDir = await tokenizerFolder(model, store, cacheDir);
  let preview;
  try {
    preview = await previewDataset({
      input: await store.get(dataset.sha256),
      modelDir,
      limit: Math.min(Math.max(1, limit), MAX_PREVIEW_EXAMPLES),
      maxLength: model.contextLength ?? undefined,
      purpose: dataset.purpose === 'evals' ? 'evals' : 'fine-tune',
    });
  } catch (error) {
    if (error instanceof DatasetError) throw new LatheError('BAD_REQUEST', error.message, { param: 'model', reason: error.code });
    throw error;
  }

  let cost: CostPreview | null = null;
  // An eval set is not trained on: it has no training cost to estimate.
  if (dataset.purpose !== 'evals' && isFinalStats(dataset.stats) && dataset.stats.examples > 0) {
    const trainedTokens = dataset.stats.estimatedTrainedTokens;
    const { epochs } = autoHyperparameters({ examples: dataset.stats.examples, trainedTokens, hiddenSize: hiddenSizeOf(model.details) });
    const pricePerMillionTokens = trainingPricePerMillion(await getPriceBook({ db: getDb() }), model);
    const estimate = estimateCost({ trainedTokens, epochs, pricePerMillionTokens });
    cost = { estimatedTrainedTokens: trainedTokens, epochs, billedTokens: estimate.billedTokens, pricePerMillionTokens, credits: estimate.credits };
  }
  return { model: { id: model.id, name: model.name, contextLength: model.contextLength }, examples: preview.examples, skippedLines: preview.skippedLines, cost };
}

/** The model's tokenizer files in a cache folder keyed by their content, materialized once. */
async function tokenizerFolder(model: BaseModel, store: ArtifactStore, cacheDir: string): Promise<string> {
  let artifacts;
  try {
    artifacts = parseModelArtifacts(model.artifacts);
  } catch (error) {
    if (error instanceof ModelError) throw new LatheError('BAD_REQUEST', `The model '${model.name}' has no usable files: ${error.message}.`, { param: 'model', reason: error.code });
    throw error;
  }
  if (!artifacts.hf) throw new LatheError('BAD_REQUEST', `The model '${model.name}' was imported as a GGUF only and cannot be fine-tuned.`, { param: 'model', reason: 'not_trainable' });
  const files = Object.fromEntries(Object.entries(artifacts.hf.files).filter(([relative]) => TOKENIZER_FILES.has(relative)));
  const key = Object.entries(files)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, file]) => file.sha256.slice(0, 16))
    .join('-');
  const dir = path.join(cacheDir, `${model.id}-${key}`);
  if (existsSync(dir)) return dir;
  try {
    await materializeModelFolder({ store, artifacts: { ...artifacts, hf: { files } }, destDir: dir });
  } catch (error) {
    // Another request materialized the same folder first.
    if (existsSync(dir)) return dir;
    throw error;
  }
  return dir;
}
