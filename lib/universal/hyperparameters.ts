// What a fine-tune can be asked for: OpenAI-style hyperparameters ("auto" or a value) and the
// presets. Browser-safe: the new-job form validates with the same schema as the API.
import { z } from 'zod';

const auto = z.literal('auto');

export const ZHyperparameters = z
  .object({
    n_epochs: z.union([auto, z.number().int().min(1).max(100)]).optional(),
    batch_size: z.union([auto, z.number().int().min(1).max(256)]).optional(),
    learning_rate_multiplier: z.union([auto, z.number().positive().max(100)]).optional(),
  })
  .strict();
export type THyperparameters = z.infer<typeof ZHyperparameters>;

export const ZPreset = z.enum(['quick', 'standard', 'thorough']);
export type TPreset = z.infer<typeof ZPreset>;

export type ResolvedHyperparameters = { n_epochs: number; batch_size: number; learning_rate_multiplier: number; learning_rate: number };

/** DPO's temperature on the log-ratios: small values let the policy move far from the base. */
export const DPO_BETA = { min: 0, max: 2, auto: 0.1 } as const;

/** `method.dpo.hyperparameters`: the supervised ones plus beta (above 0, at most 2). */
export const ZDpoHyperparameters = ZHyperparameters.extend({
  beta: z.union([auto, z.number().gt(DPO_BETA.min).max(DPO_BETA.max)]).optional(),
}).strict();
export type TDpoHyperparameters = z.infer<typeof ZDpoHyperparameters>;

export const FINE_TUNE_METHODS = ['supervised', 'dpo'] as const;
export type TFineTuneMethod = (typeof FINE_TUNE_METHODS)[number];
