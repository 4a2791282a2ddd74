// Deploy and undeploy from the dashboard, and what each visible base model's deployment is doing.
import { getDb } from '@/server/db';
import type { TenantContext } from '@/server/db/tenant';
import type { DeploymentStatus } from '@/server/generated/prisma/client';
import { assertHasCredits } from '@/server/services/credits/ledger';
import { LatheError, notFound } from '@/server/services/errors';
import { requestDeployment, stopDeployments } from '@/server/services/serving/deployments';

export type DeploymentSummary = {
  baseModelId: string;
  baseModelName: string;
  scope: 'platform' | 'organization';
  status: DeploymentStatus | 'NOT_DEPLOYED';
  error: string | null;
  runner: string | null;
  updatedAt: Date | null;
};

/** One row per READY base model the project can see, with its latest deployment. */
export async function listDeployments({ tenant }: { tenant: TenantContext }): Promise<DeploymentSummary[]> {
  const bases = await tenant.db.baseModel.findMany({ where: { status: 'READY' }, select: { id: true, name: true, organizationId: true }, orderBy: { name: 'asc' } });
  const deployments = await getDb().deployment.findMany({
    where: { baseModelId: { in: bases.map((b) => b.id) } },
    orderBy: { createdAt: 'desc' },
    select: { baseModelId: true, status: true, error: true, updatedAt: true, runner: { select: { name: true } } },
  });
  const latest = new Map<string, (typeof deployments)[number]>();
  for (const d of deployments) if (!latest.has(d.baseModelId)) latest.set(d.baseModelId, d);
  return bases.map((b) => {
    const d = latest.get(b.id);
    return {
      baseModelId: b.id,
      baseModelName: b.name,
      scope: b.organizationId === null ? 'platform' : 'organization',
      status: d?.status ?? 'NOT_DEPLOYED',
      error: d?.status === 'FAILED' ? d.error : null,
      runner: d?.runner?.name ?? null,
      updatedAt: d?.updatedAt ?? null,
    };
  });
}

async function visibleServableModel(tenant: TenantContext, baseModelId: string) {
  const base = await tenant.db.baseModel.findUnique({ where: { id: baseModelId }, select: { id: true, name: true, status: true, organizationId: true, artifacts: true } });
  if (!base) throw notFound('Base model');
  if (base.status !== 'READY' || !(base.artifacts as { gguf?: unknown } | null)?.gguf) {
    throw new LatheError('PRECONDITION_FAILED', `"${base.name}" is not ready to serve yet; deploy it once its import has finished.`, { reason: 'model_not_ready' });
  }
  return base;
}

export async function deployModel({ tenant, baseModelId }: { tenant: TenantContext; baseModelId: string }) {
  const base = await visibleServableModel(tenant, baseModelId);
  // A deployment holds a runner for everyone's requests: it takes an organization with credits.
  await assertHasCredits({ db: getDb(), organizationId: tenant.scope.organizationId });
  const deployment = await requestDeployment({ db: getDb(), baseModelId: base.id, audit: { organizationId: tenant.scope.organizationId, actor: tenant.actor }, retryFailed: true });
  return { id: deployment.id, baseModelId: base.id, status: deployment.status };
}

/**
 * Stops a model's deployment. It serves every organization that can see the model, so it takes an
 * owner or admin of the model's organization, or a platform administrator for a platform model.
 */
export async function undeployModel({ tenant, baseModelId, orgAdmin, platformAdmin }: { tenant: TenantContext; baseModelId: string; orgAdmin: boolean; platformAdmin: boolean }) {
  const base = await tenant.db.baseModel.findUnique({ where: { id: baseModelId }, select: { id: true, name: true, organizationId: true } });
  if (!base) throw notFound('Base model');
  if (base.organizationId === null ? !platformAdmin : !orgAdmin) {
    throw new LatheError('FORBIDDEN', base.organizationId === null ? 'Only platform administrators can undeploy a platform-wide model.' : 'Only owners and admins of this organization can undeploy models.');
  }
  const stopped = await stopDeployments({ db: getDb(), baseModelId: base.id, audit: { organizationId: tenant.scope.organizationId, actor: tenant.actor } });
  return { baseModelId: base.id, stopped };
}
