// OpenAI's fine-tuning `method` on a job: which one a request asks for, whether its files fit it,
// how it is kept on the job (inside the hyperparameters JSON, as `method`) and reported back.
import { z } from 'zod';
import { LatheError } from '@/server/services/errors';
import { DPO_BETA, type THyperparameters, type TDpoHyperparameters } from '@/lib/universal/hyperparameters';

/** What a DPO job keeps beside its hyperparameters; absent on supervised jobs. */
export const ZStoredMethod = z.object({ type: z.literal('dpo'), beta: z.union([z.literal('auto'), z.number()]) });
export type TStoredMethod = z.infer<typeof ZStoredMethod>;

type MethodRequest = {
  hyperparameters?: THyperparameters;
  method?: { type: string; supervised?: { hyperparameters?: THyperparameters }; dpo?: { hyperparameters?: TDpoHyperparameters } } & Record<string, unknown>;
};

/**
 * The hyperparameters to train with, from `method.<type>` or the top-level field OpenAI keeps for
 * older clients, and the method to keep on the job (null: supervised).
 */
export function methodSettings({ method, hyperparameters }: MethodRequest): { hyperparameters: THyperparameters | undefined; method: TStoredMethod | null } {
  if (!method) return { hyperparameters, method: null };
  if (method.type !== 'supervised' && method.type !== 'dpo') {
    throw new LatheError('BAD_REQUEST', `Lathe cannot train the fine-tuning method '${method.type}'; use {"type": "supervised"} or {"type": "dpo"}.`, { param: 'method.type', reason: 'unsupported_method' });
  }
  const type = method.type;
  const other = Object.keys(method).find((key) => key !== 'type' && key !== type);
  if (other) throw new LatheError('BAD_REQUEST', `Unrecognized request argument supplied: method.${other}. A ${type} job takes its settings under method.${type}.`, { param: `method.${other}`, reason: 'unknown_parameter' });
  const nested = type === 'dpo' ? method.dpo?.hyperparameters : method.supervised?.hyperparameters;
  if (nested && hyperparameters) {
    throw new LatheError('BAD_REQUEST', `Give the hyperparameters once: under method.${type}.hyperparameters, or (as older clients do) at the top level.`, { param: 'hyperparameters', reason: 'invalid_request' });
  }
  if (type === 'supervised') return { hyperparameters: nested ?? hyperparameters, method: null };
  const { beta, ...rest } = (nested ?? hyperparameters ?? {}) as TDpoHyperparameters;
  return { hyperparameters: rest, method: { type: 'dpo', beta: beta ?? 'auto' } };
}

/** DPO trains on preference pairs only, and supervised jobs on everything else. */
export function assertMethodFitsFile(method: TStoredMethod | null, file: { format: string | null; filename: string | null; name: string }, param: 'training_file' | 'validation_file'): void {
  // A file still being validated has no format yet; tokenization refuses a wrong one then.
  if (file.format === null) return;
  const name = file.filename ?? file.name;
  if (method?.type === 'dpo' && file.format !== 'preference') {
    throw new LatheError('BAD_REQUEST', `DPO trains on preference pairs, but the ${param.replace('_', ' ')} ${name} is in ${file.format.replace('_', '/')} format. Upload lines with "input", "preferred_output" and "non_preferred_output".`, { param, reason: 'training_file_format' });
  }
  if (!method && file.format === 'preference') {
    throw new LatheError('BAD_REQUEST', `The ${param.replace('_', ' ')} ${name} holds preference pairs, which train with method {"type": "dpo"}; a supervised job needs chat, prompt/completion or Alpaca lines.`, { param, reason: 'training_file_format' });
  }
}

/** The stored method of a job, or null for supervised. */
export function storedMethod(hyperparameters: unknown): TStoredMethod | null {
  const parsed = ZStoredMethod.safeParse((hyperparameters as { method?: unknown } | null)?.method);
  return parsed.success ? parsed.data : null;
}

/** Beta as the trainer uses it. */
export function resolvedBeta(method: TStoredMethod): number {
  return method.beta === 'auto' ? DPO_BETA.auto : method.beta;
}

/** `method` of a job in OpenAI's shape, around the hyperparameters it reports. */
export function openAIMethod(hyperparameters: unknown, reported: { n_epochs: unknown; batch_size: unknown; learning_rate_multiplier: unknown }) {
  const method = storedMethod(hyperparameters);
  if (!method) return { type: 'supervised' as const, supervised: { hyperparameters: reported } };
  return { type: 'dpo' as const, dpo: { hyperparameters: { beta: method.beta, ...reported } } };
}

/**
 * The trainer's DPO settings. The chosen output's per-token negative log-likelihood is added with
 * weight 1 (RPO, Pang et al. 2024; Llama 3 used 0.2): pure DPO may lower the likelihood of both
 * outputs, and on small models greedy answers then drift to neither.
 */
export function dpoTrainerConfig(method: TStoredMethod) {
  return { method: 'dpo', dpo_beta: resolvedBeta(method), dpo_nll_weight: DPO_NLL_WEIGHT };
}

export const DPO_NLL_WEIGHT = 1;
