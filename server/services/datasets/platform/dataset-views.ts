// What callers get back for a dataset: plain JSON-friendly objects (sizes as numbers) with the
// report and statistics typed, never the raw row.
import type { Dataset, DatasetStatus } from '@/server/generated/prisma/client';
import type { DatasetStats, ValidationReport } from '@/lib/universal/dataset-report';

export interface ValidationProgress {
  bytesRead: number;
  totalBytes: number;
  lines: number;
}

/** Dataset.stats holds the progress while validating, then the final statistics. */
export type StoredStats = DatasetStats | { progress: ValidationProgress };

export interface DatasetSummary {
  id: string;
  name: string;
  filename: string | null;
  purpose: string;
  status: DatasetStatus;
  format: string | null;
  sizeBytes: number;
  sha256: string | null;
  examples: number | null;
  errors: number | null;
  warnings: number | null;
  /** 0..1 while validating, otherwise null. */
  progress: number | null;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface DatasetDetail extends DatasetSummary {
  validation: ValidationReport | null;
  stats: DatasetStats | null;
  /** Training jobs that use this dataset (for training or validation); while any does, it cannot be deleted. */
  jobs: number;
  /** Earlier uploads of the same bytes (same SHA-256) in this project, oldest first. */
  duplicates: { id: string; name: string; createdAt: Date }[];
}

export function isFinalStats(stats: unknown): stats is DatasetStats {
  return typeof stats === 'object' && stats !== null && 'histogram' in stats;
}

function progressOf(row: Pick<Dataset, 'status' | 'stats'>): number | null {
  if (row.status !== 'VALIDATING') return null;
  const stats = row.stats as StoredStats | null;
  if (!stats || !('progress' in stats)) return 0;
  const { bytesRead, totalBytes } = stats.progress;
  return totalBytes > 0 ? Math.min(1, bytesRead / totalBytes) : 0;
}

export function toDatasetSummary(row: Dataset): DatasetSummary {
  const report = row.validation as ValidationReport | null;
  return {
    id: row.id,
    name: row.name,
    filename: row.filename,
    purpose: row.purpose,
    status: row.status,
    format: row.format,
    sizeBytes: Number(row.sizeBytes),
    sha256: row.sha256,
    examples: row.examples,
    errors: report?.errors ?? null,
    warnings: report?.warnings ?? null,
    progress: progressOf(row),
    error: row.error,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function toDatasetDetail(row: Dataset, jobs: number, duplicates: DatasetDetail['duplicates'] = []): DatasetDetail {
  return {
    ...toDatasetSummary(row),
    validation: (row.validation as ValidationReport | null) ?? null,
    stats: isFinalStats(row.stats) ? row.stats : null,
    jobs,
    duplicates,
  };
}
