import { getDb, type Db } from '@/server/db';
import type { TenantContext, TenantDb } from '@/server/db/tenant';
import type { BaseModel } from '@/server/generated/prisma/client';
import { artifactStoreConfigFromEnv, createArtifactStore, type ArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { recordAudit } from '@/server/services/audit/record-audit';
import { LatheError, notFound } from '@/server/services/errors';
import { ZModelArtifacts } from './model-artifacts';
import type { PlatformImporter } from './request-model-import';

export type ModelStage = { startedAt?: string; step?: string; bytes?: number; totalBytes?: number };

/** What the dashboard, the API and the CLI show of a base model. */
export type BaseModelSummary = {
  id: string;
  name: string;
  scope: 'platform' | 'organization';
  projectId: string | null;
  source: BaseModel['source'];
  /** The Hub revision an import asked for; null for the default branch and other sources. */
  revision: string | null;
  /** Hub repo id, or (only to the owning organization) the server path it was imported from. */
  sourceRef: string | null;
  status: BaseModel['status'];
  progress: number | null;
  error: string | null;
  errorCode: string | null;
  stage: ModelStage | null;
  architecture: string | null;
  family: string | null;
  parameters: number | null;
  contextLength: number | null;
  chatCapable: boolean;
  license: string | null;
  sizeBytes: number | null;
  trainable: boolean;
  /** Why a servable Hugging Face model cannot be fine-tuned (null for trainable models and GGUF imports). */
  trainingBlocker: string | null;
  ggufType: string | null;
  commit: string | null;
  createdAt: Date;
  updatedAt: Date;
};

const asRecord = (value: unknown): Record<string, unknown> => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
const str = (value: unknown) => (typeof value === 'string' ? value : null);

/** `viewerOrganizationId` null is an operator, who sees every source path. */
export function toModelSummary(model: BaseModel, viewerOrganizationId: string | null): BaseModelSummary {
  const details = asRecord(model.details);
  const failure = asRecord(details.failure);
  const artifacts = ZModelArtifacts.safeParse(model.artifacts);
  const ownPath = model.source === 'HUGGING_FACE' || viewerOrganizationId === null || model.organizationId === viewerOrganizationId;
  return {
    id: model.id,
    name: model.name,
    scope: model.organizationId === null ? 'platform' : 'organization',
    projectId: model.projectId,
    source: model.source,
    sourceRef: ownPath ? model.sourceRef : null,
    revision: model.source === 'HUGGING_FACE' ? str(details.revision) : null,
    status: model.status,
    progress: model.progress,
    error: model.error,
    errorCode: str(failure.code),
    stage: model.status === 'DOWNLOADING' || model.status === 'CONVERTING' ? (asRecord(details.stage) as ModelStage) : null,
    architecture: model.architecture,
    family: model.family,
    parameters: model.parameters === null ? null : Number(model.parameters),
    contextLength: model.contextLength,
    chatCapable: model.status === 'READY' && model.chatTemplate,
    license: model.license,
    sizeBytes: model.sizeBytes === null ? null : Number(model.sizeBytes),
    trainable: model.status === 'READY' && details.trainable === true && Boolean(artifacts.success && artifacts.data.hf),
    trainingBlocker: str(details.trainingBlocker),
    ggufType: artifacts.success ? artifacts.data.gguf.type : null,
    commit: str(details.commit),
    createdAt: model.createdAt,
    updatedAt: model.updatedAt,
  };
}

/** Base models a project can see: its organization's and the platform-wide ones, newest first. */
export async function listBaseModels({ tenant }: { tenant: TenantContext }): Promise<BaseModelSummary[]> {
  const rows = await tenant.db.baseModel.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });
  return rows.map((m) => toModelSummary(m, tenant.scope.organizationId));
}

/** Every base model of every organization, for operators (CLI). */
export async function listAllBaseModels({ db }: { db: Db }): Promise<Array<BaseModelSummary & { organizationId: string | null }>> {
  const rows = await db.baseModel.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });
  return rows.map((m) => ({ ...toModelSummary(m, null), organizationId: m.organizationId }));
}

export async function getBaseModel({ tenant, id }: { tenant: TenantContext; id: string }): Promise<BaseModelSummary> {
  const model = await tenant.db.baseModel.findUnique({ where: { id } });
  if (!model) throw notFound('Base model');
  return toModelSummary(model, tenant.scope.organizationId);
}

// An import that has not written progress for this long is taken to be dead (its process gone).
const STALE_IMPORT_MS = 15 * 60_000;

export interface DeleteModelOptions {
  /** The caller's organization: another organization's model is NOT_FOUND. */
  tenant?: TenantContext;
  /** Platform operator rights: needed to delete a platform-wide model. */
  admin?: PlatformImporter;
  id: string;
  store?: ArtifactStore;
}

/**
 * Deletes a base model and the artifacts no other record refers to. Refused while a fine-tuning
 * job, a fine-tuned model or a live deployment uses it, and while its import is running.
 */
export async function deleteModel({ tenant, admin, id, store }: DeleteModelOptions): Promise<{ id: string; name: string; artifactsDeleted: number }> {
  if (!tenant && !admin) throw new LatheError('FORBIDDEN', 'Deleting a model needs an organization or platform administrator.');
  const reader = (tenant?.db ?? admin!.db) as TenantDb | Db;
  const model = await (reader as Db).baseModel.findUnique({ where: { id } });
  if (!model) throw notFound('Base model');
  if (model.organizationId === null && !admin) throw new LatheError('FORBIDDEN', 'Platform-wide models can only be deleted by a platform administrator.');
  if (['REQUESTED', 'DOWNLOADING', 'CONVERTING'].includes(model.status) && Date.now() - model.updatedAt.getTime() < STALE_IMPORT_MS) {
    throw new LatheError('CONFLICT', `"${model.name}" is still being imported; delete it once it is ready or has failed.`, { reason: 'importing' });
  }
  // Counted across all tenants: a platform model may be used by any organization's jobs.
  const unscoped = getDb();
  const [jobs, fineTuned, deployments] = await Promise.all([
    unscoped.trainingJob.count({ where: { baseModelId: id } }),
    unscoped.fineTunedModel.count({ where: { baseModelId: id } }),
    unscoped.deployment.count({ where: { baseModelId: id, status: { in: ['REQUESTED', 'LOADING', 'READY'] } } }),
  ]);
  if (jobs + fineTuned + deployments > 0) {
    const uses = [plural(jobs, 'fine-tuning job'), plural(fineTuned, 'fine-tuned model'), plural(deployments, 'running deployment')].filter(Boolean).join(', ');
    throw new LatheError('CONFLICT', `"${model.name}" is used by ${uses}; delete those first.`, { reason: 'in_use' });
  }
  const writer = (model.organizationId === null ? admin!.db : (tenant?.db ?? admin!.db)) as Db;
  const actor = model.organizationId === null ? admin!.actor : (tenant?.actor ?? admin!.actor);
  await writer.$transaction(async (tx) => {
    const { count } = await tx.baseModel.deleteMany({ where: { id, updatedAt: model.updatedAt } });
    if (count !== 1) throw new LatheError('CONFLICT', `"${model.name}" changed while it was being deleted; try again.`);
    await recordAudit(tx, { organizationId: model.organizationId, actor, action: 'model.delete', targetType: 'BaseModel', targetId: id, data: { name: model.name } });
  });
  return { id, name: model.name, artifactsDeleted: await deleteUnreferencedArtifacts(model, store) };
}

function plural(n: number, what: string) {
  return n === 0 ? '' : `${n} ${what}${n === 1 ? '' : 's'}`;
}

async function deleteUnreferencedArtifacts(model: BaseModel, store?: ArtifactStore): Promise<number> {
  const parsed = ZModelArtifacts.safeParse(model.artifacts);
  if (!parsed.success) return 0;
  const digests = new Set([parsed.data.gguf.sha256, ...Object.values(parsed.data.hf?.files ?? {}).map((f) => f.sha256)]);
  const target = store ?? createArtifactStore(artifactStoreConfigFromEnv());
  const db = getDb();
  let deleted = 0;
  for (const sha256 of digests) {
    // Content-addressed: an identical file (a shared tokenizer, the same weights) may belong to another record.
    const rows = await db.$queryRawUnsafe<unknown[]>(
      `SELECT 1 FROM "BaseModel" WHERE "artifacts"::text LIKE $1
       UNION ALL SELECT 1 FROM "FineTunedModel" WHERE "artifacts"::text LIKE $1
       UNION ALL SELECT 1 FROM "TrainingJob" WHERE "artifacts"::text LIKE $1
       UNION ALL SELECT 1 FROM "Dataset" WHERE "sha256" = $2
       LIMIT 1`,
      `%${sha256}%`,
      sha256,
    );
    if (rows.length === 0 && (await target.delete(sha256))) deleted++;
  }
  return deleted;
}
