import { getDb, type Db } from '@/server/db';
import { Prisma } from '@/server/generated/prisma/client';
import { ArtifactError, type ArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { recordAudit } from '@/server/services/audit/record-audit';
import type { ValidationReport } from '@/lib/universal/dataset-report';
import { validateDataset } from '@/server/services/datasets/validate-dataset';
import { logger } from '@/server/logger';
import { emitDatasetValidated } from '@/server/services/webhooks/domain-events';
import { describeFinding, firstErrors } from './assert-dataset-usable';
import { datasetStore } from './config';
import { computeDatasetStats } from './dataset-stats';
import type { StoredStats } from './dataset-views';

export interface RunDatasetValidationOptions {
  datasetId: string;
  db?: Db;
  store?: ArtifactStore;
  /** The queue will not retry after this attempt: an unexpected failure marks the dataset FAILED. */
  finalAttempt?: boolean;
  /** At most one progress write per this many milliseconds. */
  progressIntervalMs?: number;
}

export type ValidationOutcome = 'VALID' | 'INVALID' | 'FAILED' | 'skipped';

const ERRORS_IN_SUMMARY = 3;

/**
 * The worker's `dataset.validate`: UPLOADED → VALIDATING (progress in stats) → VALID or INVALID
 * with the full report and statistics. Content never makes it fail (the validator reports, it
 * does not throw); a missing or damaged stored file makes the dataset FAILED. Other errors are
 * rethrown for the queue to retry, and mark the dataset FAILED on the last attempt. Running it
 * twice is harmless: a dataset already validated is skipped.
 */
export async function runDatasetValidation({
  datasetId,
  db = getDb(),
  store = datasetStore(),
  finalAttempt = true,
  progressIntervalMs = 500,
}: RunDatasetValidationOptions): Promise<ValidationOutcome> {
  const row = await db.dataset.findUnique({ where: { id: datasetId } });
  if (!row || (row.status !== 'UPLOADED' && row.status !== 'VALIDATING')) return 'skipped';
  const totalBytes = Number(row.sizeBytes);
  const claimed = await db.dataset.updateMany({
    where: { id: datasetId, status: { in: ['UPLOADED', 'VALIDATING'] } },
    data: { status: 'VALIDATING', error: null, stats: { progress: { bytesRead: 0, totalBytes, lines: 0 } } satisfies StoredStats },
  });
  if (claimed.count === 0) return 'skipped';

  let lastWrite = 0;
  let writing: Promise<unknown> = Promise.resolve();
  const onProgress = ({ bytesRead, lines }: { bytesRead: number; lines: number }) => {
    const now = Date.now();
    if (now - lastWrite < progressIntervalMs) return;
    lastWrite = now;
    writing = writing.then(() =>
      db.dataset
        .updateMany({ where: { id: datasetId, status: 'VALIDATING' }, data: { stats: { progress: { bytesRead, totalBytes, lines } } satisfies StoredStats } })
        .catch((error: unknown) => logger.warn({ err: error, datasetId }, 'could not record validation progress')),
    );
  };

  const purpose = row.purpose === 'evals' ? 'evals' : 'fine-tune';
  let report: ValidationReport;
  let stats: Awaited<ReturnType<typeof computeDatasetStats>>;
  try {
    if (!row.sha256) throw new ArtifactError('not_found', 'the dataset has no stored file');
    // Two streams read in parallel: the report and the statistics each take one pass.
    [report, stats] = await Promise.all([
      store.get(row.sha256, { verify: true }).then((input) => validateDataset({ input, totalBytes, onProgress, purpose })),
      store.get(row.sha256).then((input) => computeDatasetStats({ input, purpose })),
    ]);
  } catch (error) {
    await writing;
    if (!(error instanceof ArtifactError) && !finalAttempt) throw error;
    const reason = error instanceof ArtifactError ? storedFileProblem(error) : `validation could not run (${(error as Error).message})`;
    logger.error({ err: error, datasetId }, 'dataset validation failed');
    await finish(db, row, { status: 'FAILED', error: postgresSafe(`The dataset could not be validated: ${reason}. Upload the file again.`) });
    return 'FAILED';
  }
  await writing;
  const status = report.ok ? 'VALID' : 'INVALID';
  const errors = firstErrors(report, ERRORS_IN_SUMMARY);
  const summary = report.ok ? null : `${report.errors} error${report.errors === 1 ? '' : 's'}, first ${errors.map(describeFinding).join('; ')}`;
  await finish(db, row, {
    status,
    error: summary === null ? null : postgresSafe(summary),
    validation: postgresSafe(report) as unknown as Prisma.InputJsonObject,
    format: report.format,
    // One definition of "examples" on every page: those without errors, the ones a job trains on
    // (the report's own count also includes the lines that failed).
    examples: stats.examples,
    sizeBytes: BigInt(report.bytes),
    stats: stats as unknown as Prisma.InputJsonObject,
  });
  return status;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * PostgreSQL text and jsonb hold neither U+0000 nor half a surrogate pair, both of which findings
 * may quote from a file (in a message or a key name): show them as ␀ and �.
 */
export function postgresSafe<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '\u2400').replace(LONE_SURROGATE, '\uFFFD') as T;
  if (Array.isArray(value)) return value.map(postgresSafe) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [postgresSafe(k), postgresSafe(v)])) as T;
  return value;
}

function storedFileProblem(error: ArtifactError): string {
  if (error.code === 'checksum_mismatch') return 'its stored copy is damaged (checksum mismatch)';
  if (error.code === 'not_found') return 'its stored copy is missing';
  return error.message;
}

async function finish(db: Db, row: { id: string; organizationId: string; projectId: string }, data: Prisma.DatasetUpdateManyMutationInput & { status: 'VALID' | 'INVALID' | 'FAILED' }) {
  await db.$transaction(async (tx) => {
    // Only a dataset still VALIDATING: one deleted meanwhile stays deleted.
    const { count } = await tx.dataset.updateMany({ where: { id: row.id, status: 'VALIDATING' }, data });
    if (count === 0) return;
    await emitDatasetValidated({ db, tx, dataset: row, status: data.status });
    const report = data.validation as unknown as ValidationReport | undefined;
    await recordAudit(tx, {
      organizationId: row.organizationId,
      actor: {},
      action: 'dataset.validate',
      targetType: 'Dataset',
      targetId: row.id,
      data: { status: data.status, examples: report?.examples ?? null, errors: report?.errors ?? null, warnings: report?.warnings ?? null },
    });
  });
}
