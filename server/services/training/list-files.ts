// GET /v1/files: the project's uploads and its jobs' result files in one list, newest first (or
// oldest), with one cursor over both, as OpenAI lists them.
import type { TenantDb } from '@/server/db/tenant';
import { fromFileId, toOpenAIFile, type OpenAIFile } from '@/server/services/datasets/platform/openai-files';
import { toDatasetSummary } from '@/server/services/datasets/platform/dataset-views';
import { LatheError, notFound } from '@/server/services/errors';
import { jobIdOfResultFile, RESULT_FILE_PURPOSE, RESULT_FILE_SELECT, toResultFile, WITH_RESULT_FILE } from '@/server/services/training/result-files';

export type ListFilesOptions = { db: TenantDb; purpose?: string; limit: number; after?: string; order: 'asc' | 'desc' };

/** A place in the list: files sort by creation time, then by the id of their row. */
type Cursor = { at: Date; id: string };
type Entry = Cursor & { file: OpenAIFile };

async function cursorOf(db: TenantDb, after: string): Promise<Cursor> {
  const jobId = jobIdOfResultFile(after);
  if (jobId) {
    const job = await db.trainingJob.findFirst({ where: { id: jobId, ...WITH_RESULT_FILE }, select: { id: true, finishedAt: true } });
    if (!job) throw notFound(`The file '${after}'`);
    return { at: job.finishedAt!, id: job.id };
  }
  const datasetId = fromFileId(after);
  if (!datasetId) throw new LatheError('BAD_REQUEST', `Invalid 'after': ${after} is not a file id.`, { param: 'after', reason: 'invalid_request' });
  const dataset = await db.dataset.findUnique({ where: { id: datasetId }, select: { id: true, createdAt: true } });
  if (!dataset) throw notFound(`The file '${after}'`);
  return { at: dataset.createdAt, id: dataset.id };
}

/** Rows past the cursor in the list's order, on a table's own time column. */
function past<K extends string>(column: K, cursor: Cursor | null, order: 'asc' | 'desc') {
  if (!cursor) return {};
  const op = order === 'desc' ? 'lt' : 'gt';
  return { OR: [{ [column]: { [op]: cursor.at } }, { [column]: cursor.at, id: { [op]: cursor.id } }] };
}

export async function listFiles({ db, purpose, limit, after, order }: ListFilesOptions): Promise<{ data: OpenAIFile[]; hasMore: boolean }> {
  const cursor = after ? await cursorOf(db, after) : null;
  const take = limit + 1;
  const [datasets, jobs] = await Promise.all([
    purpose === RESULT_FILE_PURPOSE
      ? []
      : db.dataset.findMany({ where: { ...(purpose ? { purpose } : {}), ...past('createdAt', cursor, order) }, orderBy: [{ createdAt: order }, { id: order }], take }),
    purpose && purpose !== RESULT_FILE_PURPOSE
      ? []
      : db.trainingJob.findMany({ where: { ...WITH_RESULT_FILE, ...past('finishedAt', cursor, order) }, orderBy: [{ finishedAt: order }, { id: order }], take, select: RESULT_FILE_SELECT }),
  ]);
  const entries: Entry[] = [
    ...datasets.map((row) => ({ at: row.createdAt, id: row.id, file: toOpenAIFile(toDatasetSummary(row)) })),
    ...jobs.flatMap((job) => {
      const file = toResultFile(job);
      return file ? [{ at: job.finishedAt!, id: job.id, file }] : [];
    }),
  ];
  const sign = order === 'desc' ? -1 : 1;
  entries.sort((a, b) => sign * (a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  return { data: entries.slice(0, limit).map((e) => e.file), hasMore: entries.length > limit };
}
