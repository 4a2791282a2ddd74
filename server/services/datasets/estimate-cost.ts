import { z } from 'zod';
import { billedTokensFor } from '@/lib/universal/estimate-cost';
import { creditsForTokens } from '@/server/services/credits/price';

/** The request shape for the API routes that return an estimate. */
export const ZEstimateCostRequest = z.object({
  /** Trained tokens of the training file (TokenizeStats.train.trainedTokens). */
  trainedTokens: z.number().int().min(0),
  epochs: z.number().int().min(1).max(100),
  /** The base model's price, in credits per million trained tokens. */
  pricePerMillionTokens: z.number().min(0),
});
export type TEstimateCostRequest = z.infer<typeof ZEstimateCostRequest>;

export type EstimateCostOptions = TEstimateCostRequest;

export interface CostEstimate {
  /** trainedTokens x epochs: the tokens a job is billed for. */
  billedTokens: number;
  credits: number;
}

/** What a fine-tune will cost before it is launched: trained tokens x epochs x price per token. */
export function estimateCost({ trainedTokens, epochs, pricePerMillionTokens }: EstimateCostOptions): CostEstimate {
  const billedTokens = billedTokensFor({ trainedTokens, epochs, pricePerMillionTokens });
  return { billedTokens, credits: creditsForTokens(billedTokens, pricePerMillionTokens).toNumber() };
}

export interface AutoHyperparametersOptions {
  /** Examples in the training file. */
  examples: number;
  /** Trained tokens of the training file. */
  trainedTokens: number;
  /** Most trained tokens (x epochs) that "auto" lets one job reach. Default 100 million. */
  maxBilledTokens?: number;
}

export interface Hyperparameters {
  epochs: number;
  batchSize: number;
  learningRate: number;
}

const TARGET_EPOCHS = 3;
const MIN_TARGET_EXAMPLES = 100;
const MAX_TARGET_EXAMPLES = 25_000;
const MAX_AUTO_EPOCHS = 25;
const MAX_BATCH_SIZE = 256;
const BASE_LEARNING_RATE = 2e-4;
const BASE_BATCH_SIZE = 8;
const MIN_LEARNING_RATE = 5e-5;
const MAX_LEARNING_RATE = 5e-4;

/**
 * The values "auto" resolves to, following OpenAI's fine-tuning defaults: 3 epochs, raised for
 * small files so the model sees about 100 examples in all (at most 25 epochs), lowered for large
 * ones so it sees about 25,000 (at least 1); a batch of about 0.2% of the examples (1 to 256, a
 * power of two); and a LoRA learning rate of 2e-4 at batch 8, scaled with the square root of the
 * batch size and kept within 5e-5 to 5e-4. Epochs are then capped so trained tokens x epochs stays within maxBilledTokens.
 */
export function autoHyperparameters({ examples, trainedTokens, maxBilledTokens = 100_000_000 }: AutoHyperparametersOptions): Hyperparameters {
  if (!Number.isInteger(examples) || examples < 1) throw new RangeError('examples must be a positive integer.');
  if (!Number.isFinite(trainedTokens) || trainedTokens < 0) throw new RangeError('trainedTokens must be >= 0.');
  let epochs = TARGET_EPOCHS;
  if (examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES) epochs = Math.min(MAX_AUTO_EPOCHS, Math.floor(MIN_TARGET_EXAMPLES / examples));
  else if (examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES) epochs = Math.max(1, Math.floor(MAX_TARGET_EXAMPLES / examples));
  if (trainedTokens > 0) epochs = Math.max(1, Math.min(epochs, Math.floor(maxBilledTokens / trainedTokens)));

  const rawBatch = Math.min(MAX_BATCH_SIZE, Math.max(1, Math.round(examples * 0.002)));
  const batchSize = Math.min(2 ** Math.round(Math.log2(rawBatch)), MAX_BATCH_SIZE);
  const scaled = BASE_LEARNING_RATE * Math.sqrt(batchSize / BASE_BATCH_SIZE);
  const learningRate = Number(Math.min(MAX_LEARNING_RATE, Math.max(MIN_LEARNING_RATE, scaled)).toPrecision(3));
  return { epochs, batchSize, learningRate };
}
