// The judge of a model-graded eval must already be served: an eval would otherwise wake it and
// wait, answer by answer, for a deployment nobody asked for. Checked when the run is created and
// again when the worker starts it, so a judge undeployed meanwhile fails the run at once.
import { getDb, type Db } from '@/server/db';
import type { TenantDb } from '@/server/db/tenant';
import { LatheError } from '@/server/services/errors';
import { resolveModel } from '@/server/services/serving/resolve-model';

export interface JudgeDeployment {
  baseModelId: string;
  baseModelName: string;
}

/**
 * The judge's base model when a deployment of it is ready or on its way; PRECONDITION_FAILED
 * (`judge_not_deployed`) naming the base model to deploy otherwise.
 */
export async function assertJudgeDeployed({ tenantDb, judgeModel, db = getDb() }: { tenantDb: TenantDb; judgeModel: string; db?: Db }): Promise<JudgeDeployment> {
  const resolved = await resolveModel({ db: tenantDb, name: judgeModel }).catch((error: unknown) => {
    if (error instanceof LatheError && error.details.reason === 'model_not_found') {
      throw new LatheError('NOT_FOUND', `The judge model \`${judgeModel}\` does not exist in this project. Choose a model from the list of models you can call.`, {
        param: 'grader.judgeModel',
        reason: 'model_not_found',
      });
    }
    throw error;
  });
  const base = resolved.baseModel;
  const deployment = await db.deployment.findFirst({
    where: { baseModelId: base.id, status: { in: ['REQUESTED', 'LOADING', 'READY'] } },
    select: { id: true },
  });
  if (!deployment) {
    const message =
      base.name === judgeModel
        ? `The judge model \`${judgeModel}\` is not deployed. Deploy it from the Models page, then start the evaluation again.`
        : `The judge model \`${judgeModel}\` is not deployed: its base model \`${base.name}\` is not served. Deploy \`${base.name}\` from the Models page, then start the evaluation again.`;
    throw new LatheError('PRECONDITION_FAILED', message, {
      param: 'grader.judgeModel',
      reason: 'judge_not_deployed',
    });
  }
  return { baseModelId: base.id, baseModelName: base.name };
}
