// The trainer's progress protocol (README.md, "Progress protocol"): one zod schema per JSON line
// it writes on stdout. Objects are loose because the protocol may add fields in later versions.
import { z } from 'zod';

const count = z.number().int().nonnegative();
/** Numbers the trainer cannot make finite arrive as null. */
const measured = z.number().nullable();

export const ZTrainerStarted = z.looseObject({
  event: z.literal('started'),
  version: z.number().int(),
  total_steps: count,
  steps_per_epoch: count,
  epochs: count,
  start_step: count,
  resumed_from: z.string().nullable(),
  train_examples: count,
  train_rows: count,
  train_tokens: count,
  trainable_tokens: count,
  truncated_examples: count,
  valid_examples: count,
  sequence_length: count,
  trainable_parameters: count,
  total_parameters: count,
  device: z.string(),
  precision: z.string(),
  world_size: count,
  threads: count,
});

export const ZTrainerProgress = z.looseObject({
  event: z.literal('progress'),
  step: count,
  total_steps: count,
  epoch: z.number(),
  train_loss: measured,
  train_accuracy: measured,
  learning_rate: z.number(),
  grad_norm: measured,
  tokens_per_s: measured,
  trained_tokens: count,
  eta_s: z.number(),
  /** Preference tuning (method dpo) only: the mean rewards of the step's pairs, their margin and the share ranked right. */
  rewards_chosen: measured.optional(),
  rewards_rejected: measured.optional(),
  reward_margin: measured.optional(),
  preference_accuracy: measured.optional(),
});

export const ZTrainerEval = z.looseObject({
  event: z.literal('eval'),
  step: count,
  epoch: z.number(),
  valid_loss: measured,
  valid_mean_token_accuracy: measured,
  valid_tokens: count,
  full: z.boolean(),
});

export const ZTrainerCheckpoint = z.looseObject({ event: z.literal('checkpoint'), step: count, path: z.string() });

export const ZTrainerDone = z.looseObject({
  event: z.literal('done'),
  step: count,
  adapter_path: z.string(),
  metrics_path: z.string(),
  metrics: z.looseObject({
    steps: count,
    train_loss: measured,
    train_accuracy: measured,
    valid_loss: measured,
    valid_mean_token_accuracy: measured,
    trained_tokens: count,
    train_seconds: z.number(),
    tokens_per_s: measured,
  }),
  /** Which adapter was published: the best checkpoint by validation loss or the last step. */
  adapter_from: z.object({ selected: z.enum(['best', 'last']), step: count }).optional(),
  best_checkpoint: z.object({ best_step: count, best_loss: z.number().nullable(), bad_evals: count }).nullish(),
  early_stopped: z.boolean().optional(),
});

export const ZTrainerCancelled = z.looseObject({ event: z.literal('cancelled'), step: count, checkpoint: z.string().nullable() });

export const ZTrainerError = z.looseObject({ event: z.literal('error'), code: z.string(), message: z.string() });

export const ZTrainerEvent = z.discriminatedUnion('event', [ZTrainerStarted, ZTrainerProgress, ZTrainerEval, ZTrainerCheckpoint, ZTrainerDone, ZTrainerCancelled, ZTrainerError]);
export type TTrainerEvent = z.infer<typeof ZTrainerEvent>;

const EVENT_NAMES = new Set<string>(ZTrainerEvent.options.map((option) => option.shape.event.value));

export type TrainerLine = { kind: 'event'; event: TTrainerEvent } | { kind: 'invalid'; problem: string } | null;

/**
 * One stdout line: its protocol event; `invalid` when it names a known event but breaks that
 * event's schema; null for anything else (the trainer's stdout carries only events, but an event
 * kind from a newer trainer is skipped as this one cannot act on it).
 */
export function parseTrainerLine(line: string): TrainerLine {
  if (!line.startsWith('{')) return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const name = (value as { event?: unknown } | null)?.event;
  if (typeof name !== 'string' || !EVENT_NAMES.has(name)) return null;
  const parsed = ZTrainerEvent.safeParse(value);
  return parsed.success ? { kind: 'event', event: parsed.data } : { kind: 'invalid', problem: z.prettifyError(parsed.error) };
}

const DPO_FIELDS = ['rewards_chosen', 'rewards_rejected', 'reward_margin', 'preference_accuracy'] as const;

/** The preference-tuning metrics of a progress event, for its job event's data; empty for supervised steps. */
export function dpoMetrics(progress: z.infer<typeof ZTrainerProgress>): Partial<Record<(typeof DPO_FIELDS)[number], number | null>> {
  return Object.fromEntries(DPO_FIELDS.filter((key) => progress[key] !== undefined).map((key) => [key, progress[key] ?? null]));
}
