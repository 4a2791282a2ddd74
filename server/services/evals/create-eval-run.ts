// Starts an eval run: checks everything that would otherwise fail it later (the eval set, each
// model, the grader, the judge's deployment, the balance), then creates the run with its audit
// entry and its `eval.run` job in one transaction.
import type { TenantContext } from '@/server/db/tenant';
import { getDb } from '@/server/db';
import type { Prisma } from '@/server/generated/prisma/client';
import { getBoss } from '@/server/queue/boss';
import { runEvalJob } from '@/server/queue/contracts';
import { recordAudit } from '@/server/services/audit/record-audit';
import { assertHasCredits } from '@/server/services/credits/ledger';
import { assertDatasetUsable } from '@/server/services/datasets/platform/assert-dataset-usable';
import { enqueueInTransaction } from '@/server/services/datasets/platform/job-queue';
import { LatheError } from '@/server/services/errors';
import { resolveModel } from '@/server/services/serving/resolve-model';
import { ZCreateEvalRequest, type TCreateEvalRequest, type TGrader } from '@/lib/universal/evals';
import { compileSchema } from './graders';
import { assertJudgeDeployed } from './judge';
import { toEvalRunSummary, type EvalRunSummary } from './read-eval-runs';

export interface CreateEvalRunOptions {
  tenant: TenantContext;
  input: TCreateEvalRequest;
  /** The training job that starts this run when it succeeds. */
  jobId?: string | null;
  /** A fine-tune file (the job's validation file) may stand in for an eval set: its last assistant replies are the expected answers. */
  allowTrainingFile?: boolean;
}

/** Refuses a grader that could only fail every answer: a pattern that does not compile, a schema Ajv rejects. */
export function assertGraderUsable(grader: TGrader): void {
  if (grader.type === 'regex' && grader.pattern !== undefined) {
    try {
      new RegExp(grader.pattern, grader.flags);
    } catch (error) {
      throw new LatheError('BAD_REQUEST', `The pattern is not a valid regular expression: ${(error as Error).message}.`, { param: 'grader.pattern', reason: 'invalid_grader' });
    }
  }
  if (grader.type === 'json_schema') {
    try {
      compileSchema(grader.schema);
    } catch (error) {
      throw new LatheError('BAD_REQUEST', `The JSON schema is not valid: ${(error as Error).message}.`, { param: 'grader.schema', reason: 'invalid_grader' });
    }
  }
}

export async function createEvalRun({ tenant, input, jobId = null, allowTrainingFile = false }: CreateEvalRunOptions): Promise<EvalRunSummary> {
  const request = ZCreateEvalRequest.parse(input);
  const { db, scope, actor } = tenant;
  const evalSet = await db.dataset.findUnique({ where: { id: request.evalSetId.replace(/^file-/, '') } });
  if (!evalSet) throw new LatheError('NOT_FOUND', `The eval set '${request.evalSetId}' was not found.`, { param: 'evalSetId', reason: 'file_not_found' });
  if (evalSet.purpose !== 'evals' && !allowTrainingFile) {
    throw new LatheError('BAD_REQUEST', `The file '${request.evalSetId}' was uploaded for fine-tuning; upload the eval set with purpose "evals".`, { param: 'evalSetId', reason: 'wrong_file_purpose' });
  }
  assertDatasetUsable(evalSet, 'evalSetId');
  const models = [...new Set(request.models)];
  for (const [index, name] of models.entries()) {
    await resolveModel({ db, name }).catch((error: unknown) => {
      if (error instanceof LatheError) throw new LatheError(error.code, error.message, { ...error.details, param: `models[${index}]` });
      throw error;
    });
  }
  assertGraderUsable(request.grader);
  if (request.grader.type === 'model') await assertJudgeDeployed({ tenantDb: db, judgeModel: request.grader.judgeModel });
  await assertHasCredits({ db: getDb(), organizationId: scope.organizationId });

  const boss = await getBoss();
  const run = await db.$transaction(async (tx) => {
    const created = await tx.evalRun.create({
      data: {
        organizationId: scope.organizationId,
        projectId: scope.projectId,
        evalSetId: evalSet.id,
        jobId,
        name: request.name || `${evalSet.name}: ${models.join(' vs ')}`.slice(0, 200),
        models,
        grader: request.grader as unknown as Prisma.InputJsonObject,
        maxTokens: request.maxTokens,
        progress: { done: 0, total: models.length * (evalSet.examples ?? 0) },
        createdById: actor.userId ?? null,
      },
    });
    await recordAudit(tx, {
      organizationId: scope.organizationId,
      actor,
      action: 'eval.create',
      targetType: 'EvalRun',
      targetId: created.id,
      data: { evalSetId: evalSet.id, models, grader: request.grader.type, ...(jobId ? { jobId } : {}) },
    });
    await enqueueInTransaction(boss, tx, runEvalJob, { runId: created.id });
    return created;
  });
  return toEvalRunSummary(run);
}
