// A succeeded job's metrics CSV as an OpenAI file: the job's `result_files` names it, and
// /v1/files describes, lists (purpose "fine-tune-results") and serves it. Its id is the job's id
// between `file-` and `-metrics`, so it maps both ways without a table, as an upload's id does.
import type { Readable } from 'node:stream';
import type { TenantDb } from '@/server/db/tenant';
import type { ArtifactStore } from '@/server/services/artifacts/types';
import { datasetStore } from '@/server/services/datasets/platform/config';
import { toFileId, type OpenAIFile } from '@/server/services/datasets/platform/openai-files';
import { notFound } from '@/server/services/errors';

export const RESULT_FILE_PURPOSE = 'fine-tune-results';
const RESULT_FILENAME = 'step_metrics.csv';

export const toResultFileId = (jobId: string) => `${toFileId(jobId)}-metrics`;

/** The job behind a result file's id; null for any other id. */
export function jobIdOfResultFile(fileId: string): string | null {
  return /^file-([A-Za-z0-9_]{1,64})-metrics$/.exec(fileId)?.[1] ?? null;
}

/** Jobs whose result file exists: only a job that succeeded published its metrics. */
export const WITH_RESULT_FILE = { status: 'succeeded', finishedAt: { not: null } } as const;
export const RESULT_FILE_SELECT = { id: true, finishedAt: true, artifacts: true } as const;

type StoredMetrics = { sha256: string; size: number };
export type ResultFileJob = { id: string; finishedAt: Date | null; artifacts: unknown };

function metricsOf(job: ResultFileJob): StoredMetrics | null {
  return (job.artifacts as { metrics?: StoredMetrics } | null)?.metrics ?? null;
}

/** The file object of a job's metrics, or null when the job has none. */
export function toResultFile(job: ResultFileJob): OpenAIFile | null {
  const metrics = metricsOf(job);
  if (!metrics || !job.finishedAt) return null;
  return {
    id: toResultFileId(job.id),
    object: 'file',
    bytes: metrics.size,
    created_at: Math.floor(job.finishedAt.getTime() / 1000),
    filename: RESULT_FILENAME,
    purpose: RESULT_FILE_PURPOSE,
    status: 'processed',
    status_details: null,
  };
}

async function findResultFile(db: TenantDb, jobId: string): Promise<{ file: OpenAIFile; metrics: StoredMetrics }> {
  const job = await db.trainingJob.findFirst({ where: { id: jobId, ...WITH_RESULT_FILE }, select: RESULT_FILE_SELECT });
  const file = job && toResultFile(job);
  if (!job || !file) throw notFound('Result file');
  return { file, metrics: metricsOf(job)! };
}

/** NOT_FOUND unless the caller's project has a succeeded job by that id. */
export async function getResultFile({ db, jobId }: { db: TenantDb; jobId: string }): Promise<OpenAIFile> {
  return (await findResultFile(db, jobId)).file;
}

/** The CSV's bytes, streamed from the artifact store. */
export async function openResultFile({ db, jobId, store = datasetStore() }: { db: TenantDb; jobId: string; store?: ArtifactStore }): Promise<{ file: OpenAIFile; stream: Readable }> {
  const { file, metrics } = await findResultFile(db, jobId);
  return { file, stream: await store.get(metrics.sha256) };
}
