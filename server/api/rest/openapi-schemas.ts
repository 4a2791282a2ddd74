// zod schemas of what the /v1 routes answer, for the OpenAPI document. The request schemas are the
// ones the routes parse with (lib/universal/openai/schema.ts, services/training/create-job.ts);
// these describe the JSON the routes build (openai-shapes.ts, openai-files.ts, list-usable-models.ts),
// and the document test checks real answers against them.
import { z } from 'zod';

export const ZApiError = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
});

export const ZModel = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
});

export const ZModelList = z.object({ object: z.literal('list'), data: z.array(ZModel) });

export const ZFile = z.object({
  id: z.string(),
  object: z.literal('file'),
  bytes: z.number().int(),
  created_at: z.number().int(),
  filename: z.string(),
  purpose: z.string(),
  status: z.enum(['uploaded', 'processed', 'error']),
  status_details: z.string().nullable(),
});

export const ZFileList = z.object({ object: z.literal('list'), data: z.array(ZFile), has_more: z.boolean().optional() });

export const ZFileDeleted = z.object({ id: z.string(), object: z.literal('file'), deleted: z.boolean() });

const ZAutoOr = <T extends z.ZodType>(inner: T) => z.union([z.literal('auto'), inner]);

const ZJobHyperparameters = z.object({
  n_epochs: ZAutoOr(z.number()),
  batch_size: ZAutoOr(z.number()),
  learning_rate_multiplier: ZAutoOr(z.number()),
  lora_rank: ZAutoOr(z.number().int()).optional(),
  lora_alpha: ZAutoOr(z.number()).optional(),
  lora_dropout: ZAutoOr(z.number()).optional(),
  lora_target_modules: ZAutoOr(z.array(z.string())).optional(),
  max_sequence_length: ZAutoOr(z.number().int()).optional(),
  lr_scheduler: ZAutoOr(z.enum(['cosine', 'linear', 'constant'])).optional(),
  warmup_ratio: ZAutoOr(z.number()).optional(),
});

export const ZFineTuningJob = z.object({
  id: z.string(),
  object: z.literal('fine_tuning.job'),
  created_at: z.number().int(),
  finished_at: z.number().int().nullable(),
  model: z.string(),
  fine_tuned_model: z.string().nullable(),
  organization_id: z.string(),
  status: z.enum(['validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled']),
  hyperparameters: ZJobHyperparameters,
  training_file: z.string(),
  validation_file: z.string().nullable(),
  result_files: z.array(z.string()),
  trained_tokens: z.number().int().nullable(),
  error: z.object({ code: z.string(), message: z.string(), param: z.string().nullable() }).nullable(),
  seed: z.number().int().nullable(),
  suffix: z.string().nullable(),
  metadata: z.record(z.string(), z.string()).nullable(),
  estimated_finish: z.number().int().nullable(),
  integrations: z.array(z.unknown()),
  method: z.object({ type: z.literal('supervised'), supervised: z.object({ hyperparameters: ZJobHyperparameters }) }),
});

export const ZFineTuningJobList = z.object({ object: z.literal('list'), data: z.array(ZFineTuningJob), has_more: z.boolean() });

export const ZFineTuningJobEvent = z.object({
  id: z.string(),
  object: z.literal('fine_tuning.job.event'),
  created_at: z.number().int(),
  level: z.enum(['info', 'warn', 'error']),
  message: z.string(),
  type: z.enum(['message', 'metrics']),
  data: z.record(z.string(), z.unknown()),
});

export const ZFineTuningJobEventList = z.object({ object: z.literal('list'), data: z.array(ZFineTuningJobEvent), has_more: z.boolean() });

export const ZFineTuningJobCheckpoint = z.object({
  id: z.string(),
  object: z.literal('fine_tuning.job.checkpoint'),
  created_at: z.number().int(),
  fine_tuning_job_id: z.string(),
  fine_tuned_model_checkpoint: z.string(),
  step_number: z.number().int(),
  metrics: z.record(z.string(), z.number().nullable()),
});

export const ZFineTuningJobCheckpointList = z.object({
  object: z.literal('list'),
  data: z.array(ZFineTuningJobCheckpoint),
  has_more: z.boolean(),
  first_id: z.string().nullable().optional(),
  last_id: z.string().nullable().optional(),
});

export const ZUsage = z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() });

export const ZChatCompletion = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({ role: z.literal('assistant'), content: z.string().nullable() }),
      finish_reason: z.enum(['stop', 'length']).nullable(),
      logprobs: z.null().optional(),
    }),
  ),
  usage: ZUsage,
});

export const ZChatCompletionChunk = z.object({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      delta: z.object({ role: z.literal('assistant').optional(), content: z.string().optional() }),
      finish_reason: z.enum(['stop', 'length']).nullable(),
    }),
  ),
  usage: ZUsage.nullable().optional(),
});

export const ZCompletion = z.object({
  id: z.string(),
  object: z.literal('text_completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(z.object({ index: z.number().int(), text: z.string(), finish_reason: z.enum(['stop', 'length']).nullable(), logprobs: z.null().optional() })),
  usage: ZUsage,
});

export const ZFileUpload = z.object({
  file: z.string().describe('The JSONL file (binary).'),
  purpose: z.enum(['fine-tune', 'evals']).describe('"fine-tune" for training data, "evals" for an eval set.'),
});
