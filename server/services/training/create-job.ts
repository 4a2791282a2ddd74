import type { Prisma } from '@/server/generated/prisma/client';
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '@/server/db';
import type { TenantContext } from '@/server/db/tenant';
import { LatheError, notFound } from '@/server/services/errors';
import { recordAudit } from '@/server/services/audit/record-audit';
import { assertHasCredits } from '@/server/services/credits/ledger';
import { assertJobSlot } from '@/server/services/quotas/enforce-quotas';
import { appendJobEvents } from '@/server/services/training/job-events';
import { fromApiFileId, type JobWithNames } from '@/server/services/training/openai-shapes';
import { ADAPTER_SHAPE_FIELDS, ZCheckpointSelection, ZDpoHyperparameters, ZEarlyStopping, ZHyperparameters, ZPreset, type THyperparameters } from '@/lib/universal/hyperparameters';
import { assertMethodFitsFile, methodSettings } from '@/server/services/training/fine-tune-method';
import { enqueue, prepareTrainingJob } from '@/server/queue/contracts';
import { getBoss } from '@/server/queue/boss';
import { ZEvalOnSuccess, type TEvalOnSuccess } from '@/lib/universal/evals';
import { assertTrainingAvailable } from '@/server/services/platform/training-availability';

/**
 * OpenAI's `method`: supervised or dpo. The settings of any other method are accepted here so
 * that the job is refused as `unsupported_method`, not for their keys.
 */
export const ZFineTuneMethod = z
  .object({
    type: z.string().min(1).max(64),
    supervised: z.object({ hyperparameters: ZHyperparameters.optional() }).strict().optional(),
    dpo: z.object({ hyperparameters: ZDpoHyperparameters.optional() }).strict().optional(),
  })
  .catchall(z.record(z.string(), z.unknown()));

export const ZCreateJobRequest = z.strictObject({
  model: z.string().min(1).max(200),
  training_file: z.string().min(1).max(100),
  validation_file: z.string().min(1).max(100).nullish(),
  hyperparameters: ZHyperparameters.optional(),
  preset: ZPreset.optional(),
  suffix: z
    .string()
    .max(64)
    .regex(/^[a-zA-Z0-9_-]*$/, 'use letters, digits, "-" and "_" only')
    .nullish(),
  seed: z.number().int().min(0).max(2_147_483_647).nullish(),
  metadata: z.record(z.string().max(64), z.string().max(512)).refine((m) => Object.keys(m).length <= 16, 'at most 16 keys').nullish(),
  method: ZFineTuneMethod.optional(),
  /** Lathe's own: stop when the validation loss stops improving. */
  early_stopping: ZEarlyStopping.nullish(),
  /** Lathe's own: the fine-tuned model is the best checkpoint by validation loss, or the last step. */
  select_checkpoint: ZCheckpointSelection.optional(),
  /** Lathe's own: when the job succeeds, evaluate the fine-tune against its base (server/services/evals). */
  evaluation: ZEvalOnSuccess.nullish(),
});
export type TCreateJobRequest = z.infer<typeof ZCreateJobRequest>;


export const jobInclude = { baseModel: { select: { name: true } }, fineTunedModel: { select: { name: true } }, parentModel: { select: { name: true } }, organization: { select: { slug: true } } } as const;

type ModelArtifacts = { hf?: { files: Record<string, { sha256: string; size: number }> } | null };

/**
 * Creates a job in validating_files: the worker then tokenizes its files, reserves the estimated
 * cost and queues it. Missing model or files are refused here; an account without credits too.
 */
export async function createJob({ tenant, db, input }: { tenant: TenantContext; db: Db; input: TCreateJobRequest }): Promise<JobWithNames> {
  const { scope } = tenant;
  const { hyperparameters, method } = methodSettings(input);
  // `model` may name a fine-tuned model of the project: its adapter is the starting point.
  const parent = input.model.startsWith('ft:') ? await tenant.db.fineTunedModel.findFirst({ where: { name: input.model }, include: { baseModel: { select: { name: true } } } }) : null;
  if (input.model.startsWith('ft:') && !parent) throw new LatheError('NOT_FOUND', `The fine-tuned model '${input.model}' does not exist or you do not have access to it.`, { param: 'model', reason: 'model_not_found' });
  if (parent && !(parent.artifacts as { adapter?: unknown } | null)?.adapter) {
    throw new LatheError('BAD_REQUEST', `The fine-tuned model '${input.model}' has no stored adapter to continue from.`, { param: 'model', reason: 'model_not_trainable' });
  }
  const model = await tenant.db.baseModel.findFirst({ where: parent ? { id: parent.baseModelId } : { name: input.model } });
  if (!model) throw new LatheError('NOT_FOUND', `The model '${input.model}' does not exist or you do not have access to it.`, { param: 'model', reason: 'model_not_found' });
  if (model.status !== 'READY') throw new LatheError('BAD_REQUEST', `The model '${input.model}' is not ready yet (${model.status.toLowerCase()}).`, { param: 'model', reason: 'model_not_ready' });
  if (!(model.artifacts as ModelArtifacts | null)?.hf) {
    throw new LatheError('BAD_REQUEST', `The model '${input.model}' was imported as a GGUF and can only be served, not fine-tuned. Import its Hugging Face checkpoint to train it.`, { param: 'model', reason: 'model_not_trainable' });
  }
  const details = (model.details ?? {}) as { trainable?: unknown; trainingBlocker?: unknown };
  if (details.trainable === false) {
    const why = typeof details.trainingBlocker === 'string' ? details.trainingBlocker : 'the trainer does not support it';
    throw new LatheError('BAD_REQUEST', `The model '${input.model}' can be served but not fine-tuned: ${why}.`, { param: 'model', reason: 'model_not_trainable' });
  }
  assertAdvancedFitModel(hyperparameters, { contextLength: model.contextLength, continues: parent !== null, param: input.method ? `method.${input.method.type}.hyperparameters` : 'hyperparameters' });
  const trainingId = fromApiFileId(input.training_file);
  const training = await tenant.db.dataset.findUnique({ where: { id: trainingId } });
  if (!training) throw new LatheError('NOT_FOUND', `The training file '${input.training_file}' was not found.`, { param: 'training_file', reason: 'file_not_found' });
  if (training.purpose === 'evals') {
    throw new LatheError('BAD_REQUEST', `The file '${input.training_file}' is an eval set (purpose "evals"), which has no answers to train on. Upload the training data with purpose "fine-tune".`, {
      param: 'training_file',
      reason: 'wrong_file_purpose',
    });
  }
  assertMethodFitsFile(method, training, 'training_file');
  const validationId = input.validation_file ? fromApiFileId(input.validation_file) : null;
  const validation = validationId ? await tenant.db.dataset.findUnique({ where: { id: validationId } }) : null;
  if (validationId && !validation) {
    throw new LatheError('NOT_FOUND', `The validation file '${input.validation_file}' was not found.`, { param: 'validation_file', reason: 'file_not_found' });
  }
  if (validation) assertMethodFitsFile(method, validation, 'validation_file');
  if (input.evaluation) await assertEvaluationFile(tenant, input.evaluation, validation !== null);
  // Before the credit check: the fix is the operator's, and a 402 would send the user to billing for nothing.
  await assertTrainingAvailable({ db });
  await assertHasCredits({ db, organizationId: scope.organizationId, apiKeyId: tenant.actor.apiKeyId ?? null });

  const job = await tenant.db.$transaction(async (tx) => {
    await assertJobSlot(tx, scope.organizationId);
    const created = await tx.trainingJob.create({
      data: {
        organizationId: scope.organizationId,
        projectId: scope.projectId,
        baseModelId: model.id,
        trainingDatasetId: training.id,
        validationDatasetId: validationId,
        status: 'validating_files',
        suffix: input.suffix || null,
        hyperparameters: {
          ...(hyperparameters ?? {}),
          preset: input.preset ?? 'standard',
          ...(input.early_stopping ? { early_stopping: input.early_stopping } : {}),
          ...(input.select_checkpoint ? { select_checkpoint: input.select_checkpoint } : {}),
          ...(input.evaluation ? { evaluation: input.evaluation as unknown as Prisma.InputJsonObject } : {}),
          ...(method ? { method } : {}),
        },
        parentModelId: parent?.id ?? null,
        seed: input.seed ?? randomInt(0, 2_147_483_647),
        metadata: input.metadata ?? undefined,
        createdById: tenant.actor.userId ?? null,
      },
      include: jobInclude,
    });
    await recordAudit(tx, {
      organizationId: scope.organizationId,
      actor: tenant.actor,
      action: 'job.create',
      targetType: 'TrainingJob',
      targetId: created.id,
      data: { model: model.name, ...(parent ? { continuesFrom: parent.name } : {}), trainingFile: training.id, validationFile: validationId },
    });
    return created;
  });
  await appendJobEvents({ db, jobId: job.id, events: [{ seq: 1, message: `Validating training file: ${training.filename ?? training.name}` }] });
  await enqueue(await getBoss(), prepareTrainingJob, { jobId: job.id }, { singletonKey: `prepare:${job.id}` });
  return job;
}

/**
 * The `evaluation` option needs something to evaluate on: an eval set of the project, or the
 * validation file. The grader is checked when the evaluation starts (a refusal then is recorded
 * as a failed run, server/services/evals/start-eval-on-success.ts).
 */
async function assertEvaluationFile(tenant: TenantContext, option: TEvalOnSuccess, hasValidationFile: boolean): Promise<void> {
  if (option.evalSetId) {
    const set = await tenant.db.dataset.findUnique({ where: { id: fromApiFileId(option.evalSetId) }, select: { purpose: true } });
    if (!set) throw new LatheError('NOT_FOUND', `The eval set '${option.evalSetId}' was not found.`, { param: 'evaluation.evalSetId', reason: 'file_not_found' });
    if (set.purpose !== 'evals') {
      throw new LatheError('BAD_REQUEST', `The file '${option.evalSetId}' was uploaded for fine-tuning; upload the eval set with purpose "evals".`, { param: 'evaluation.evalSetId', reason: 'wrong_file_purpose' });
    }
  } else if (!hasValidationFile) {
    throw new LatheError('BAD_REQUEST', 'An evaluation on success needs an eval set (evaluation.evalSetId) or a validation file to evaluate on; give one of them.', { param: 'evaluation', reason: 'missing_required_parameter' });
  }
}

/**
 * The advanced settings a model cannot take: a sequence longer than its context, or (for a job that
 * continues a fine-tuned model, whose adapter keeps its shape) another LoRA rank, alpha or targets.
 */
function assertAdvancedFitModel(hp: THyperparameters | undefined, { contextLength, continues, param }: { contextLength: number | null; continues: boolean; param: string }) {
  const length = hp?.max_sequence_length;
  if (typeof length === 'number' && contextLength && length > contextLength) {
    throw new LatheError('BAD_REQUEST', `The maximum sequence length ${length} is longer than the model's context of ${contextLength} tokens; choose at most ${contextLength}, or "auto".`, { param: `${param}.max_sequence_length`, reason: 'invalid_request' });
  }
  if (!continues) return;
  const shaped = ADAPTER_SHAPE_FIELDS.find((field) => hp?.[field] !== undefined && hp[field] !== 'auto');
  if (shaped) {
    throw new LatheError('BAD_REQUEST', `A job that continues a fine-tuned model keeps that model's adapter, so ${shaped} must be "auto".`, { param: `${param}.${shaped}`, reason: 'invalid_request' });
  }
}
