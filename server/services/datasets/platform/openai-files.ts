// The OpenAI File object for a dataset. The file id is the dataset id behind a `file-` prefix, so
// ids look like OpenAI's and map both ways without a lookup table.
import type { DatasetSummary } from './dataset-views';

const FILE_ID_PREFIX = 'file-';

export interface OpenAIFile {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  filename: string;
  purpose: string;
  status: 'uploaded' | 'processed' | 'error';
  status_details: string | null;
}

export function toFileId(datasetId: string): string {
  return FILE_ID_PREFIX + datasetId;
}

/** The dataset id behind a file id; the bare dataset id is accepted too. Null for an id that cannot be one. */
export function fromFileId(fileId: string): string | null {
  const id = fileId.startsWith(FILE_ID_PREFIX) ? fileId.slice(FILE_ID_PREFIX.length) : fileId;
  return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : null;
}

export function toOpenAIFile(dataset: DatasetSummary): OpenAIFile {
  const status = dataset.status === 'UPLOADED' || dataset.status === 'VALIDATING' ? 'uploaded' : dataset.status === 'INVALID' || dataset.status === 'FAILED' ? 'error' : 'processed';
  return {
    id: toFileId(dataset.id),
    object: 'file',
    bytes: dataset.sizeBytes,
    created_at: Math.floor(dataset.createdAt.getTime() / 1000),
    filename: dataset.filename ?? dataset.name,
    purpose: dataset.purpose,
    status,
    status_details: status === 'error' ? dataset.error : null,
  };
}
