import { Prisma, type TenantContext } from '@/server/db/tenant';
import { getDb, type Db } from '@/server/db';
import type { ArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { recordAudit } from '@/server/services/audit/record-audit';
import { LatheError, notFound } from '@/server/services/errors';
import { logger } from '@/server/logger';
import { datasetStore } from './config';

export interface DeleteDatasetOptions {
  tenant: TenantContext;
  id: string;
  store?: ArtifactStore;
  /** Unscoped client, to see whether another tenant's dataset shares the stored file. */
  platformDb?: Db;
}

/**
 * Deletes a dataset and, when no other dataset has the same content, its file. Refused while a
 * training job (in any state) uses it, since the job's record and its reproducibility depend on it.
 */
export async function deleteDataset({ tenant, id, store = datasetStore(), platformDb = getDb() }: DeleteDatasetOptions): Promise<{ id: string; deleted: true }> {
  const { db, scope, actor } = tenant;
  const deleted = await db.$transaction(async (tx) => {
    const dataset = await tx.dataset.findUnique({ where: { id } });
    if (!dataset) throw notFound('Dataset');
    const jobs = await tx.trainingJob.findMany({
      where: { OR: [{ trainingDatasetId: id }, { validationDatasetId: id }] },
      select: { id: true },
      orderBy: { createdAt: 'desc' },
      take: 3,
    });
    if (jobs.length > 0) {
      const total = await tx.trainingJob.count({ where: { OR: [{ trainingDatasetId: id }, { validationDatasetId: id }] } });
      const named = jobs.map((j) => j.id).join(', ');
      throw new LatheError('CONFLICT', `The dataset is used by ${total} training job${total === 1 ? '' : 's'} (${named}${total > jobs.length ? ', …' : ''}) and cannot be deleted while they exist. Delete those jobs first.`, {
        reason: 'dataset_in_use',
      });
    }
    await tx.dataset.delete({ where: { id } }).catch((error: unknown) => {
      // A job created since the check above: the foreign key refuses, with the same answer.
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003') {
        throw new LatheError('CONFLICT', 'A training job started using the dataset just now; it cannot be deleted while that job exists.', { reason: 'dataset_in_use' });
      }
      throw error;
    });
    await recordAudit(tx, {
      organizationId: scope.organizationId,
      actor,
      action: 'dataset.delete',
      targetType: 'Dataset',
      targetId: id,
      data: { filename: dataset.filename, sha256: dataset.sha256 },
    });
    return dataset;
  });
  if (deleted.sha256) {
    // Content-addressed: another upload of the same bytes (in any organization) shares the file.
    const sharers = await platformDb.dataset.count({ where: { sha256: deleted.sha256 } });
    if (sharers === 0) await store.delete(deleted.sha256).catch((error: unknown) => logger.warn({ err: error, datasetId: id }, 'could not remove a deleted dataset file'));
  }
  return { id, deleted: true };
}
