// Jobs, events and checkpoints in the shapes of OpenAI's fine-tuning API.
import type { Checkpoint, JobEvent, TrainingJob } from '@/server/generated/prisma/client';
import { toResultFileId } from '@/server/services/training/result-files';
import { openAIMethod } from '@/server/services/training/fine-tune-method';

const ADVANCED_FIELDS = ['lora_rank', 'lora_alpha', 'lora_dropout', 'lora_target_modules', 'max_sequence_length', 'lr_scheduler', 'warmup_ratio'] as const;

export const FT_JOB_PREFIX = 'ftjob-';
export const FILE_PREFIX = 'file-';
export const toApiJobId = (id: string) => `${FT_JOB_PREFIX}${id}`;
export const fromApiJobId = (id: string) => (id.startsWith(FT_JOB_PREFIX) ? id.slice(FT_JOB_PREFIX.length) : id);
export const toApiFileId = (id: string) => `${FILE_PREFIX}${id}`;
export const fromApiFileId = (id: string) => (id.startsWith(FILE_PREFIX) ? id.slice(FILE_PREFIX.length) : id);

const seconds = (d: Date | null | undefined) => (d ? Math.floor(d.getTime() / 1000) : null);

export type JobWithNames = TrainingJob & { baseModel: { name: string }; fineTunedModel: { name: string } | null; parentModel?: { name: string } | null; organization: { slug: string } };

export function toOpenAIJob(job: JobWithNames) {
  const hp = (job.hyperparameters ?? {}) as Record<string, unknown>;
  const artifacts = (job.artifacts ?? {}) as { metrics?: { sha256: string } };
  const error = job.error as { code?: string; message?: string; param?: string | null } | null;
  const hyperparameters = {
    n_epochs: hp.n_epochs ?? 'auto',
    batch_size: hp.batch_size ?? 'auto',
    learning_rate_multiplier: hp.learning_rate_multiplier ?? 'auto',
    // Lathe's own settings, once asked for or (after the files are validated) chosen by "auto".
    ...(Object.fromEntries(ADVANCED_FIELDS.filter((field) => hp[field] !== undefined).map((field) => [field, hp[field]])) as Partial<Record<(typeof ADVANCED_FIELDS)[number], number | string | string[]>>),
  };
  return {
    id: toApiJobId(job.id),
    object: 'fine_tuning.job' as const,
    created_at: seconds(job.createdAt)!,
    finished_at: seconds(job.finishedAt),
    // A job that continues from a fine-tuned model reports that model, as OpenAI does.
    model: job.parentModel?.name ?? job.baseModel.name,
    fine_tuned_model: job.fineTunedModel?.name ?? null,
    organization_id: job.organizationId,
    status: job.status,
    hyperparameters,
    training_file: toApiFileId(job.trainingDatasetId),
    validation_file: job.validationDatasetId ? toApiFileId(job.validationDatasetId) : null,
    result_files: artifacts.metrics ? [toResultFileId(job.id)] : [],
    trained_tokens: job.status === 'succeeded' && job.trainedTokens !== null ? Number(job.trainedTokens) : null,
    error: error ? { code: error.code ?? 'error', message: error.message ?? 'The job failed.', param: error.param ?? null } : null,
    seed: job.seed,
    suffix: job.suffix,
    metadata: (job.metadata as Record<string, string> | null) ?? null,
    estimated_finish: (job.progress as { etaSeconds?: number } | null)?.etaSeconds && job.status === 'running'
      ? Math.floor(Date.now() / 1000 + (job.progress as { etaSeconds: number }).etaSeconds)
      : null,
    integrations: [],
    // OpenAI's shape exactly: its three settings (and beta); Lathe's own stay in `hyperparameters`.
    method: openAIMethod(job.hyperparameters, { n_epochs: hyperparameters.n_epochs, batch_size: hyperparameters.batch_size, learning_rate_multiplier: hyperparameters.learning_rate_multiplier }),
    user_provided_suffix: job.suffix,
  };
}

export function toOpenAIEvent(event: JobEvent) {
  return {
    id: `ftevent-${event.jobId}-${event.seq}`,
    object: 'fine_tuning.job.event' as const,
    created_at: seconds(event.createdAt)!,
    level: event.level as 'info' | 'warn' | 'error',
    message: event.message,
    type: event.type as 'message' | 'metrics' | 'log',
    data: (event.data as Record<string, unknown> | null) ?? {},
  };
}

/** A job's fine-tuned model name, fixed by what the job is created with (its checkpoints carry it from their first step). */
export function fineTunedModelName(base: string, orgSlug: string, suffix: string | null, jobId: string) {
  return `ft:${base}:${orgSlug}:${suffix ?? ''}:${jobId}`;
}

type CheckpointParent = { id: string; suffix: string | null; fineTunedModel: { name: string } | null; baseModel: { name: string }; organization: { slug: string } };

/**
 * A checkpoint's model name: its job's fine-tuned model name with `:ckpt-step-N`. The name is
 * fixed when the job is created, so a checkpoint keeps the one name from the moment it exists,
 * while the job runs and after it ends.
 */
export function checkpointModelName(job: CheckpointParent, step: number) {
  return `${job.fineTunedModel?.name ?? fineTunedModelName(job.baseModel.name, job.organization.slug, job.suffix, job.id)}:ckpt-step-${step}`;
}

export function toOpenAICheckpoint(checkpoint: Checkpoint, job: CheckpointParent) {
  const metrics = (checkpoint.metrics ?? {}) as Record<string, number | null>;
  return {
    id: `ftckpt-${checkpoint.id}`,
    object: 'fine_tuning.job.checkpoint' as const,
    created_at: seconds(checkpoint.createdAt)!,
    fine_tuning_job_id: toApiJobId(job.id),
    fine_tuned_model_checkpoint: checkpointModelName(job, checkpoint.step),
    step_number: checkpoint.step,
    metrics: {
      step: checkpoint.step,
      train_loss: metrics.train_loss ?? null,
      train_mean_token_accuracy: metrics.train_accuracy ?? null,
      valid_loss: metrics.valid_loss ?? null,
      valid_mean_token_accuracy: metrics.valid_mean_token_accuracy ?? null,
      full_valid_loss: metrics.full_valid_loss ?? null,
      full_valid_mean_token_accuracy: metrics.full_valid_mean_token_accuracy ?? null,
    },
  };
}
