import type { Dataset } from '@/server/generated/prisma/client';
import type { ValidationReport } from '@/lib/universal/dataset-report';
import type { Finding } from '@/lib/universal/dataset-report';
import { LatheError } from '@/server/services/errors';

const ERRORS_SHOWN = 3;

/** The first errors of a report in file order, for messages. */
export function firstErrors(report: ValidationReport | null, count = ERRORS_SHOWN): Finding[] {
  if (!report) return [];
  const errors = Object.values(report.byCode).flatMap((summary) => (summary?.severity === 'error' ? summary.samples : []));
  return errors.sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER)).slice(0, count);
}

export function describeFinding(finding: Finding): string {
  const where = finding.line === null ? 'file' : `line ${finding.line}`;
  return `${where}: ${finding.code}${finding.field ? ` at ${finding.field}` : ''}: ${finding.message}`;
}

/**
 * Throws unless the dataset passed validation, so no job starts on a file with errors. The message
 * names the first errors; `param` is what the caller passes as `param` (default training_file).
 */
export function assertDatasetUsable(dataset: Pick<Dataset, 'id' | 'status' | 'validation' | 'error'>, param = 'training_file'): void {
  if (dataset.status === 'VALID') return;
  const id = dataset.id;
  if (dataset.status === 'UPLOADED' || dataset.status === 'VALIDATING') {
    throw new LatheError('BAD_REQUEST', `Dataset ${id} is still being validated; try again when its status is VALID.`, { param, reason: 'dataset_not_ready' });
  }
  if (dataset.status === 'INVALID') {
    const report = dataset.validation as ValidationReport | null;
    const errors = firstErrors(report);
    const more = report && report.errors > errors.length ? ` (${report.errors} errors in all)` : '';
    throw new LatheError('BAD_REQUEST', `Dataset ${id} has validation errors and cannot be used for a job${more}: ${errors.map(describeFinding).join('; ')}. Fix the file and upload it again.`, {
      param,
      reason: 'invalid_dataset',
    });
  }
  throw new LatheError('BAD_REQUEST', `Dataset ${id} could not be processed${dataset.error ? `: ${dataset.error}` : ''}. Upload it again.`, { param, reason: 'dataset_failed' });
}
