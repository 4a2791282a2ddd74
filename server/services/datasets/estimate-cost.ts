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

// "auto" has one rule, shared with the job form: lib/universal/hyperparameters.ts.
export { autoHyperparameters, type AutoInputs as AutoHyperparametersOptions, type AutoHyperparameters as Hyperparameters } from '@/lib/universal/hyperparameters';
