// The project's fine-tuned models for the Models page: each with its base model, the job that made
// it and what it can be downloaded as; and deleting one with the files only it used. A fine-tune is
// served by its base model's deployment (the adapter is loaded per request), so deploying it is
// deploying that base model (manage-deployments.ts).
import type { Db } from '@/server/db';
import type { TenantContext } from '@/server/db/tenant';
import type { ArtifactStore } from '@/server/services/artifacts/types';
import { recordAudit } from '@/server/services/audit/record-audit';
import { datasetStore } from '@/server/services/datasets/platform/config';
import { notFound } from '@/server/services/errors';
import { logger } from '@/server/logger';
import { listDownloads } from '@/server/services/serving/model-downloads';
import { hashesIn, stillReferenced } from '@/server/services/training/delete-job';
import { toApiJobId } from '@/server/services/training/openai-shapes';

export async function listFineTunedModels({ tenant }: { tenant: TenantContext }) {
  const rows = await tenant.db.fineTunedModel.findMany({
    select: { id: true, name: true, createdAt: true, baseModelId: true, baseModel: { select: { name: true } }, job: { select: { id: true, suffix: true, status: true } } },
    orderBy: { createdAt: 'desc' },
    take: 500,
  });
  return Promise.all(
    rows.map(async (r) => ({
      id: r.id,
      name: r.name,
      createdAt: r.createdAt,
      baseModelId: r.baseModelId,
      baseModel: r.baseModel.name,
      job: r.job ? { id: toApiJobId(r.job.id), suffix: r.job.suffix, status: r.job.status } : null,
      downloads: (await listDownloads({ tenant, fineTunedModel: r.id })).links,
    })),
  );
}

/** Deletes a fine-tuned model of the project; its job stays, and its files go unless another row names them. */
export async function deleteFineTunedModel({ tenant, db, id, store = datasetStore() }: { tenant: TenantContext; db: Db; id: string; store?: ArtifactStore }) {
  const tuned = await tenant.db.fineTunedModel.findFirst({ where: { OR: [{ id }, { name: id }] }, select: { id: true, name: true, artifacts: true } });
  if (!tuned) throw notFound('Fine-tuned model');
  const hashes = hashesIn(tuned.artifacts);
  await tenant.db.$transaction(async (tx) => {
    const { count } = await tx.fineTunedModel.deleteMany({ where: { id: tuned.id } });
    if (count === 0) throw notFound('Fine-tuned model');
    // Aliases that named it would answer model_not_found from now on; they go with it.
    await tx.modelAlias.deleteMany({ where: { target: tuned.name } });
    await recordAudit(tx, {
      organizationId: tenant.scope.organizationId,
      actor: tenant.actor,
      action: 'model.delete',
      targetType: 'FineTunedModel',
      targetId: tuned.id,
      data: { name: tuned.name, files: hashes.size },
    });
  });
  for (const sha256 of hashes) {
    if (await stillReferenced(db, sha256)) continue;
    await store.delete(sha256).catch((error: unknown) => logger.warn({ err: error, modelId: tuned.id }, 'could not remove a deleted model file'));
  }
  return { id: tuned.name, object: 'model' as const, deleted: true as const };
}
