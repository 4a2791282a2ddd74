// Deployments: which runner serves which base model. The web app requests one (REQUESTED), a
// runner claims it (LOADING), starts an inference server and publishes its endpoint (READY) or
// the reason it could not (FAILED); undeploying marks it STOPPED and the runner stops the server.
// A runner that stops heartbeating hands its deployments back (REQUESTED) for another to claim.
import type { Db } from '@/server/db';
import type { Deployment } from '@/server/generated/prisma/client';
import { InferenceError } from '@/lib/universal/openai/errors';
import { recordAudit, type AuditActor } from '@/server/services/audit/record-audit';
import { assertDeploymentSlot } from '@/server/services/quotas/enforce-quotas';
import { chargeDeploymentHours } from '@/server/services/credits/charge-deployment-hours';

export const ACTIVE_DEPLOYMENT_STATUSES = ['REQUESTED', 'LOADING', 'READY'] as const;
/** A failed deployment is not retried by requests for this long, so a broken model does not loop. */
const FAILED_COOLDOWN_MS = 30_000;
const POLL_MS = 200;

/** Deployments whose runner went quiet go back to REQUESTED; returns how many. */
export async function reapLapsedDeployments({ db, lapseMs }: { db: Db; lapseMs: number }): Promise<number> {
  const cutoff = new Date(Date.now() - lapseMs);
  const { count } = await db.deployment.updateMany({
    where: { status: { in: ['LOADING', 'READY'] }, OR: [{ runnerId: null }, { runner: { lastHeartbeatAt: { lt: cutoff } } }, { runner: { status: 'OFFLINE' } }] },
    data: { status: 'REQUESTED', runnerId: null, endpoint: null },
  });
  return count;
}

export type RequestDeploymentOptions = {
  db: Db;
  baseModelId: string;
  /** Set for a deployment someone asked for (recorded in the audit log); a request that wakes a model has none. */
  audit?: { organizationId: string | null; actor: AuditActor };
  /** Re-request even when the last deployment failed moments ago (the dashboard's deploy button). */
  retryFailed?: boolean;
};

/** The active deployment of a base model, created (REQUESTED) when there is none. */
export async function requestDeployment({ db, baseModelId, audit, retryFailed = false }: RequestDeploymentOptions): Promise<Deployment> {
  return db.$transaction(async (tx) => {
    // Concurrent first requests for one model must create one deployment between them.
    await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock(hashtext($1))', `deployment:${baseModelId}`);
    const active = await tx.deployment.findFirst({ where: { baseModelId, status: { in: [...ACTIVE_DEPLOYMENT_STATUSES] } }, orderBy: { createdAt: 'desc' } });
    if (active) return active;
    if (!retryFailed) {
      const last = await tx.deployment.findFirst({ where: { baseModelId }, orderBy: { createdAt: 'desc' } });
      if (last?.status === 'FAILED' && Date.now() - last.updatedAt.getTime() < FAILED_COOLDOWN_MS) return last;
    }
    // An organization's own model counts against its deployment limit; a platform model against nobody's.
    const model = await tx.baseModel.findUnique({ where: { id: baseModelId }, select: { organizationId: true } });
    if (model?.organizationId) await assertDeploymentSlot(tx, model.organizationId);
    const created = await tx.deployment.create({ data: { baseModelId, status: 'REQUESTED' } });
    if (audit) {
      await recordAudit(tx, { organizationId: audit.organizationId, actor: audit.actor, action: 'deployment.request', targetType: 'Deployment', targetId: created.id, data: { baseModelId } });
    }
    return created;
  });
}

/** Marks the model's active deployments STOPPED; their runners stop the servers. Returns how many. */
export async function stopDeployments({ db, baseModelId, audit }: { db: Db; baseModelId: string; audit: { organizationId: string | null; actor: AuditActor } }): Promise<number> {
  // The hour it stops in is charged even when no sample of the worker saw it.
  await chargeDeploymentHours({ db, baseModelId });
  return db.$transaction(async (tx) => {
    const { count } = await tx.deployment.updateMany({ where: { baseModelId, status: { in: [...ACTIVE_DEPLOYMENT_STATUSES] } }, data: { status: 'STOPPED', endpoint: null } });
    if (count > 0) await recordAudit(tx, { organizationId: audit.organizationId, actor: audit.actor, action: 'deployment.stop', targetType: 'BaseModel', targetId: baseModelId, data: { stopped: count } });
    return count;
  });
}

export type ReadyDeployment = Deployment & { endpoint: string };

function sleep(ms: number, signal?: AbortSignal) {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export const modelLoading = (model: string, retryAfter = 5) =>
  new InferenceError('model_loading', `The model \`${model}\` is being loaded on a runner; retry in a few seconds.`, { retryAfter: retryAfter });

/**
 * The READY deployment serving a base model: requests one when there is none (the first request
 * wakes the model) and waits for it until `deadline`. Rejects with an OpenAI-shaped 503 when it is
 * still loading then, or when the deployment failed.
 */
export async function awaitReadyDeployment({
  db,
  baseModel,
  lapseMs,
  deadline,
  signal,
}: {
  db: Db;
  baseModel: { id: string; name: string };
  lapseMs: number;
  deadline: number;
  signal?: AbortSignal;
}): Promise<ReadyDeployment> {
  let reaped = false;
  for (;;) {
    const current = await db.deployment.findFirst({
      where: { baseModelId: baseModel.id, status: { in: [...ACTIVE_DEPLOYMENT_STATUSES] } },
      orderBy: { createdAt: 'desc' },
      include: { runner: { select: { lastHeartbeatAt: true, status: true } } },
    });
    const lapsed = current?.runner && (current.runner.status === 'OFFLINE' || Date.now() - current.runner.lastHeartbeatAt.getTime() > lapseMs);
    if (current?.status === 'READY' && current.endpoint && !lapsed) return current as ReadyDeployment;
    if (lapsed && !reaped) {
      reaped = true;
      await reapLapsedDeployments({ db, lapseMs });
      continue;
    }
    const deployment = current ?? (await requestDeployment({ db, baseModelId: baseModel.id }));
    if (deployment.status === 'FAILED') {
      throw new InferenceError('deployment_failed', `The model \`${baseModel.name}\` could not be deployed: ${deployment.error ?? 'unknown error'}. Fix the model or deploy it again from the Models page.`, { retryAfter: 30 });
    }
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    if (Date.now() >= deadline) throw modelLoading(baseModel.name);
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())), signal);
  }
}
