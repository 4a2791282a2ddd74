// Shared by the /v1/files routes: ids, purposes and the 413 the generic error mapping lacks.
import path from 'node:path';
import { openAIError } from '@/server/api/rest/errors';
import { dataDir } from '@/server/services/datasets/platform/config';
import { DATASET_PURPOSES } from '@/server/services/datasets/platform/create-dataset';
import { fromFileId } from '@/server/services/datasets/platform/openai-files';
import { LatheError } from '@/server/services/errors';
import { jobIdOfResultFile } from '@/server/services/training/result-files';

export const uploadTmpDir = () => path.join(dataDir(), 'tmp', 'file-uploads');

const noSuchFile = (fileId: string) => new LatheError('NOT_FOUND', `No such File object: ${fileId}`, { param: 'file_id', reason: 'not_found' });

/** What a file id names: an upload (a dataset) or a job's result file (its metrics). */
export type FileTarget = { kind: 'upload'; datasetId: string } | { kind: 'result'; jobId: string };

/**
 * Runs `fn` with what a path's file id names; an id that cannot exist, or a file the key's
 * project does not have, is answered as OpenAI does: "No such File object".
 */
export async function withFile<T>(fileId: string, fn: (target: FileTarget) => Promise<T>): Promise<T> {
  const jobId = jobIdOfResultFile(fileId);
  const datasetId = fromFileId(fileId);
  const target: FileTarget | null = jobId ? { kind: 'result', jobId } : datasetId ? { kind: 'upload', datasetId } : null;
  if (!target) throw noSuchFile(fileId);
  try {
    return await fn(target);
  } catch (error) {
    if (error instanceof LatheError && error.code === 'NOT_FOUND') throw noSuchFile(fileId);
    throw error;
  }
}

export function parsePurpose(value: string | null | undefined): (typeof DATASET_PURPOSES)[number] {
  if (value === undefined || value === null || value === '') {
    throw new LatheError('BAD_REQUEST', "Missing required parameter: 'purpose'. Lathe accepts 'fine-tune' and 'evals'.", { param: 'purpose', reason: 'missing_required_parameter' });
  }
  if (!(DATASET_PURPOSES as readonly string[]).includes(value)) {
    throw new LatheError('BAD_REQUEST', `Invalid purpose '${value}': Lathe stores files for fine-tuning ('fine-tune') and eval sets ('evals').`, { param: 'purpose', reason: 'invalid_purpose' });
  }
  return value as (typeof DATASET_PURPOSES)[number];
}

/** A too-large file is 413 (OpenAI's shape), which LatheError codes do not carry. */
export function tooLargeResponse(error: unknown): Response | null {
  if (error instanceof LatheError && error.details.reason === 'file_too_large') {
    return openAIError(413, error.message, 'invalid_request_error', 'file_too_large', error.details.param ?? 'file');
  }
  return null;
}
