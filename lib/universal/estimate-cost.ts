// The fine-tune estimate both the product (server/services/datasets/estimate-cost.ts) and the
// pricing page's calculator compute: trained tokens x epochs x the price per million tokens.
// Browser-safe: plain numbers, no decimal library.

export interface TrainingEstimateInput {
  /** Trained tokens of the training file (the assistant tokens a job learns from). */
  trainedTokens: number;
  epochs: number;
  /** Credits per million billed tokens (the base model's training price). */
  pricePerMillionTokens: number;
}

/** trainedTokens x epochs: the tokens a job is billed for. Throws RangeError on impossible input. */
export function billedTokensFor({ trainedTokens, epochs, pricePerMillionTokens }: TrainingEstimateInput): number {
  for (const [name, value] of Object.entries({ trainedTokens, epochs, pricePerMillionTokens })) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number >= 0, not ${value}.`);
  }
  if (!Number.isInteger(trainedTokens) || !Number.isInteger(epochs)) throw new RangeError('trainedTokens and epochs must be integers.');
  return trainedTokens * epochs;
}

/** The estimate in credits as a number (the server settles in decimal arithmetic over the same billed tokens). */
export function estimateTrainingCredits(input: TrainingEstimateInput): { billedTokens: number; credits: number } {
  const billedTokens = billedTokensFor(input);
  return { billedTokens, credits: (billedTokens * input.pricePerMillionTokens) / 1_000_000 };
}
