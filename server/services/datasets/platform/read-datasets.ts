import type { TenantDb } from '@/server/db/tenant';
import type { Dataset } from '@/server/generated/prisma/client';
import { notFound } from '@/server/services/errors';
import { toDatasetDetail, toDatasetSummary, type DatasetDetail, type DatasetSummary } from './dataset-views';

export interface ListDatasetsOptions {
  db: TenantDb;
  purpose?: string;
  /** At most this many (default 1000). */
  limit?: number;
}

/** The project's datasets, newest first (GET /v1/files pages through them with result files: training/list-files.ts). */
export async function listDatasets({ db, purpose, limit = 1000 }: ListDatasetsOptions): Promise<DatasetSummary[]> {
  const rows = await db.dataset.findMany({
    where: purpose ? { purpose } : {},
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
  return rows.map(toDatasetSummary);
}

/** The row itself, for services that act on it; NOT_FOUND when the caller's project has no such dataset. */
export async function findDataset({ db, id }: { db: TenantDb; id: string }): Promise<Dataset> {
  const row = await db.dataset.findUnique({ where: { id } });
  if (!row) throw notFound('Dataset');
  return row;
}

export async function getDataset({ db, id }: { db: TenantDb; id: string }): Promise<DatasetDetail> {
  const row = await findDataset({ db, id });
  const jobs = await db.trainingJob.count({ where: { OR: [{ trainingDatasetId: id }, { validationDatasetId: id }] } });
  // The same bytes uploaded earlier in this project (the tenant client keeps it to the project).
  const duplicates = row.sha256
    ? await db.dataset.findMany({
        where: { sha256: row.sha256, id: { not: id }, createdAt: { lte: row.createdAt } },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: 5,
        select: { id: true, name: true, createdAt: true },
      })
    : [];
  return toDatasetDetail(row, jobs, duplicates);
}
