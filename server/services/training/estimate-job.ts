import type { TenantContext } from '@/server/db/tenant';
import { LatheError } from '@/server/services/errors';
import { estimateCost } from '@/server/services/datasets/estimate-cost';
import { fromApiFileId } from '@/server/services/training/openai-shapes';
import { hiddenSizeOf, type THyperparameters, type TPreset } from '@/lib/universal/hyperparameters';
import { resolveHyperparameters } from '@/server/services/training/hyperparameters';
import { trainingPricePerMillion } from '@/lib/universal/price-book';
import { getPriceBook } from '@/server/services/billing/price-book';
import { getDb } from '@/server/db';

/**
 * The cost shown on the job form before launch: the dataset's token count (exact when the file has
 * been tokenized for a job, otherwise estimated from its characters) x epochs x the model's price.
 */
export async function estimateJob(opts: { tenant: TenantContext; model: string; training_file: string; hyperparameters?: THyperparameters; preset?: TPreset }) {
  // A fine-tuned model trains on (and is priced as) its base model.
  const parent = opts.model.startsWith('ft:') ? await opts.tenant.db.fineTunedModel.findFirst({ where: { name: opts.model }, select: { baseModelId: true } }) : null;
  const model = await opts.tenant.db.baseModel.findFirst({ where: parent ? { id: parent.baseModelId } : { name: opts.model } });
  if (!model) throw new LatheError('NOT_FOUND', `The model '${opts.model}' was not found.`, { param: 'model' });
  const dataset = await opts.tenant.db.dataset.findUnique({ where: { id: fromApiFileId(opts.training_file) } });
  if (!dataset) throw new LatheError('NOT_FOUND', `The training file '${opts.training_file}' was not found.`, { param: 'training_file' });
  const stats = (dataset.stats ?? {}) as { estimatedTokens?: number; trainedTokensEstimate?: number; examples?: number };
  const examples = dataset.examples ?? stats.examples ?? 0;
  const trainedTokens = Math.round(stats.trainedTokensEstimate ?? stats.estimatedTokens ?? 0);
  const hyperparameters = resolveHyperparameters({ requested: opts.hyperparameters, preset: opts.preset, examples, trainedTokens, hiddenSize: hiddenSizeOf(model.details), contextLength: model.contextLength });
  const pricePerMillionTokens = trainingPricePerMillion(await getPriceBook({ db: getDb() }), model);
  const cost = estimateCost({ trainedTokens, epochs: hyperparameters.n_epochs, pricePerMillionTokens });
  return { hyperparameters, trainedTokens, billedTokens: cost.billedTokens, credits: cost.credits, pricePerMillionTokens: String(pricePerMillionTokens), exact: false };
}
