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
import { ZHyperparameters, ZPreset, type THyperparameters } from '@/lib/universal/hyperparameters';
import { enqueue, prepareTrainingJob } from '@/server/queue/contracts';
import { getBoss } from '@/server/queue/boss';
import { assertTrainingAvailable } from '@/server/services/platform/training-availability';

/**
 * OpenAI's `method`. Only supervised training exists so far; the settings of any other method
 * are accepted here so that the job is refused as `unsupported_method`, not for their keys.
 */
export const ZFineTuneMethod = z
  .object({
    type: z.string().min(1).max(64),
    supervised: z.object({ hyperparameters: ZHyperparameters.optional() }).strict().optional(),
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
});
export type TCreateJobRequest = z.infer<typeof ZCreateJobRequest>;

/** The hyperparameters to train with, from `method.supervised` or the top-level field OpenAI keeps for older clients. */
function supervisedHyperparameters({ method, hyperparameters }: TCreateJobRequest): THyperparameters | undefined {
  if (!method) return hyperparameters;
  if (method.type !== 'supervised') {
    throw new LatheError('BAD_REQUEST', `Lathe cannot train the fine-tuning method '${method.type}' yet; use {"type": "supervised"}.`, { param: 'method.type', reason: 'unsupported_method' });
  }
  const other = Object.keys(method).find((key) => key !== 'type' && key !== 'supervised');
  if (other) throw new LatheError('BAD_REQUEST', `Unrecognized request argument supplied: method.${other}. A supervised job takes its settings under method.supervised.`, { param: `method.${other}`, reason: 'unknown_parameter' });
  const nested = method.supervised?.hyperparameters;
  if (nested && hyperparameters) {
    throw new LatheError('BAD_REQUEST', 'Give the hyperparameters once: under method.supervised.hyperparameters, or (as older clients do) at the top level.', { param: 'hyperparameters', reason: 'invalid_request' });
  }
  return nested ?? hyperparameters;
}

export const jobInclude = { baseModel: { select: { name: true } }, fineTunedModel: { select: { name: true } }, organization: { select: { slug: true } } } as const;

type ModelArtifacts = { hf?: { files: Record<string, { sha256: string; size: number }> } | null };

/**
 * Creates a job in validating_files: the worker then tokenizes its files, reserves the estimated
 * cost and queues it. Missing model or files are refused here; an account without credits too.
 */
export async function createJob({ tenant, db, input }: { tenant: TenantContext; db: Db; input: TCreateJobRequest }): Promise<JobWithNames> {
  const { scope } = tenant;
  const hyperparameters = supervisedHyperparameters(input);
  const model = await tenant.db.baseModel.findFirst({ where: { name: input.model } });
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
  const trainingId = fromApiFileId(input.training_file);
  const training = await tenant.db.dataset.findUnique({ where: { id: trainingId } });
  if (!training) throw new LatheError('NOT_FOUND', `The training file '${input.training_file}' was not found.`, { param: 'training_file', reason: 'file_not_found' });
  const validationId = input.validation_file ? fromApiFileId(input.validation_file) : null;
  if (validationId && !(await tenant.db.dataset.findUnique({ where: { id: validationId } }))) {
    throw new LatheError('NOT_FOUND', `The validation file '${input.validation_file}' was not found.`, { param: 'validation_file', reason: 'file_not_found' });
  }
  // Before the credit check: the fix is the operator's, and a 402 would send the user to billing for nothing.
  await assertTrainingAvailable({ db });
  await assertHasCredits({ db, organizationId: scope.organizationId });

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
        hyperparameters: { ...(hyperparameters ?? {}), preset: input.preset ?? 'standard' },
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
      data: { model: model.name, trainingFile: training.id, validationFile: validationId },
    });
    return created;
  });
  await appendJobEvents({ db, jobId: job.id, events: [{ seq: 1, message: `Validating training file: ${training.filename ?? training.name}` }] });
  await enqueue(await getBoss(), prepareTrainingJob, { jobId: job.id }, { singletonKey: `prepare:${job.id}` });
  return job;
}
