// A job's `evaluation` option: when the job succeeds (finishJob queues `eval.on-job-success`), its
// fine-tune is evaluated against its base on the chosen eval set, or on the job's validation file
// read as one (each chat's last assistant reply is the expected answer).
import type { Db } from '@/server/db';
import { tenantDb } from '@/server/db/tenant';
import type { Prisma } from '@/server/generated/prisma/client';
import { recordAudit } from '@/server/services/audit/record-audit';
import { LatheError } from '@/server/services/errors';
import { ZEvalOnSuccess } from '@/lib/universal/evals';
import { createEvalRun } from './create-eval-run';

/**
 * Starts the evaluation a succeeded job asked for, once (a run already recorded for the job is
 * left alone). What refuses it (the judge undeployed since, the eval set deleted) is recorded as a
 * failed run with its sentence, where the user looks for the results; anything else (the database
 * went away) throws, for the queue to retry.
 */
export async function startEvalOnSuccess({ db, jobId }: { db: Db; jobId: string }): Promise<string | null> {
  const job = await db.trainingJob.findUnique({
    where: { id: jobId },
    select: { id: true, status: true, organizationId: true, projectId: true, createdById: true, hyperparameters: true, validationDatasetId: true, baseModel: { select: { name: true } }, fineTunedModel: { select: { name: true } } },
  });
  const raw = (job?.hyperparameters as { evaluation?: unknown } | null)?.evaluation;
  if (!job || job.status !== 'succeeded' || !job.fineTunedModel || raw === undefined || raw === null) return null;
  if ((await db.evalRun.count({ where: { jobId } })) > 0) return null;
  const option = ZEvalOnSuccess.parse(raw);
  const scope = { organizationId: job.organizationId, projectId: job.projectId };
  const tenant = { db: tenantDb(scope, db), scope, actor: { userId: job.createdById } };
  const models = [job.baseModel.name, job.fineTunedModel.name];
  const name = `${job.fineTunedModel.name} vs ${job.baseModel.name}`;
  const evalSetId = option.evalSetId ?? job.validationDatasetId;
  try {
    if (!evalSetId) throw new LatheError('BAD_REQUEST', 'The job has neither an eval set nor a validation file to evaluate on.', { reason: 'missing_required_parameter' });
    const run = await createEvalRun({ tenant, input: { evalSetId, models, grader: option.grader, maxTokens: 256, name }, jobId, allowTrainingFile: !option.evalSetId });
    return run.id;
  } catch (error) {
    if (!(error instanceof LatheError)) throw error;
    const setId = evalSetId?.replace(/^file-/, '') ?? null;
    const setExists = setId !== null && (await db.dataset.count({ where: { id: setId, organizationId: job.organizationId } })) > 0;
    const failed = await db.$transaction(async (tx) => {
      const row = await tx.evalRun.create({
        data: {
          ...scope,
          evalSetId: setExists ? setId : null,
          jobId,
          name,
          models,
          grader: option.grader as unknown as Prisma.InputJsonObject,
          status: 'failed',
          error: error.message,
          errorCode: error.details.reason ?? null,
          finishedAt: new Date(),
          createdById: job.createdById,
        },
      });
      await recordAudit(tx, { organizationId: scope.organizationId, actor: {}, action: 'eval.create', targetType: 'EvalRun', targetId: row.id, data: { jobId, refused: error.details.reason ?? null } });
      return row;
    });
    return failed.id;
  }
}
