import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { TenantContext } from '@/server/db/tenant';
import { getBoss } from '@/server/queue/boss';
import { validateDatasetJob } from '@/server/queue/contracts';
import { ArtifactError, type ArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { recordAudit } from '@/server/services/audit/record-audit';
import { LatheError } from '@/server/services/errors';
import { assertStorageFor } from '@/server/services/quotas/enforce-quotas';
import { cleanFilename, datasetStore, formatBytes, maxUploadBytes } from './config';
import { toDatasetSummary, type DatasetSummary } from './dataset-views';
import { enqueueInTransaction } from './job-queue';
import type { DatasetPurpose } from '@/lib/universal/dataset-report';

export { DATASET_PURPOSES, type DatasetPurpose } from '@/lib/universal/dataset-report';

export interface CreateDatasetOptions {
  tenant: TenantContext;
  /**
   * The file as received: a path on this host (a spooled request body), its bytes, or a stream of
   * a known size (a finished resumable upload read from its parts); a stream that ends at another
   * size is refused. Or a complete file whose SHA-256 was computed as it was written (a resumable
   * upload that arrived in one request): stored as it is, not read again.
   */
  source: { path: string } | { bytes: Buffer } | { stream: Readable; size: number } | { hashedFile: string; sha256: string; size: number };
  filename: string;
  /** Shown in lists; the file name when not given. */
  name?: string;
  purpose?: DatasetPurpose;
  /** A SHA-256 the client computed: the file is refused unless its content hashes to it. */
  expectedSha256?: string;
  store?: ArtifactStore;
  maxBytes?: number;
}

/** Refuses a file over the configured limit before it is stored anywhere. */
export function assertUploadSize(size: number, maxBytes = maxUploadBytes()): void {
  if (size > maxBytes) {
    throw new LatheError('BAD_REQUEST', `The file is ${formatBytes(size)}; the largest dataset Lathe accepts is ${formatBytes(maxBytes)} (LATHE_MAX_UPLOAD_BYTES). Split it or ask an operator to raise the limit.`, {
      param: 'file',
      reason: 'file_too_large',
    });
  }
}

function storeSource(store: ArtifactStore, source: CreateDatasetOptions['source'], expectedSha256: string | undefined) {
  if ('hashedFile' in source) {
    if (expectedSha256 !== undefined && source.sha256 !== expectedSha256) {
      return Promise.reject(new ArtifactError('checksum_mismatch', `content hashes to ${source.sha256}, expected ${expectedSha256}`));
    }
    return store.adopt(source.hashedFile, source);
  }
  return store.put('bytes' in source ? Readable.from([source.bytes]) : 'stream' in source ? source.stream : source.path, { expectedSha256 });
}

/**
 * Stores an uploaded file in the artifact store (its hash checked by the store, and against the
 * client's when given), then creates the Dataset in UPLOADED with its audit entry and the
 * `dataset.validate` job in one transaction. Every upload path (tus, tRPC, /v1/files) ends here.
 */
export async function createDataset({
  tenant,
  source,
  filename,
  name,
  purpose = 'fine-tune',
  expectedSha256,
  store = datasetStore(),
  maxBytes = maxUploadBytes(),
}: CreateDatasetOptions): Promise<DatasetSummary> {
  const { db, scope, actor } = tenant;
  const size = 'bytes' in source ? source.bytes.length : 'path' in source ? (await stat(source.path)).size : source.size;
  const closeSource = () => {
    if ('stream' in source) source.stream.destroy();
  };
  try {
    assertUploadSize(size, maxBytes);
    await assertStorageFor(db, scope.organizationId, size, 'This file', { lock: false });
    if (expectedSha256 !== undefined && !/^[0-9a-f]{64}$/.test(expectedSha256)) {
      throw new LatheError('BAD_REQUEST', 'The checksum must be a SHA-256 in lower-case hex (64 characters).', { param: 'sha256', reason: 'invalid_checksum' });
    }
  } catch (error) {
    closeSource();
    throw error;
  }
  const ref = await storeSource(store, source, expectedSha256).catch((error: unknown) => {
    if (error instanceof ArtifactError && error.code === 'checksum_mismatch') {
      throw new LatheError('BAD_REQUEST', 'The file received does not match the checksum sent with it: it was damaged on the way. Upload it again.', { param: 'sha256', reason: 'checksum_mismatch' });
    }
    throw error;
  });
  if (ref.size !== size) {
    throw new LatheError('BAD_REQUEST', `Received ${ref.size} bytes of a ${size}-byte file: the file changed while it was read. Upload it again.`, { reason: 'incomplete_upload' });
  }
  const displayName = cleanFilename(filename);
  const boss = await getBoss();
  const row = await db.$transaction(async (tx) => {
    await assertStorageFor(tx, scope.organizationId, ref.size, 'This file');
    const dataset = await tx.dataset.create({
      data: {
        organizationId: scope.organizationId,
        projectId: scope.projectId,
        name: name?.trim() || displayName,
        purpose,
        status: 'UPLOADED',
        filename: displayName,
        sizeBytes: BigInt(ref.size),
        sha256: ref.sha256,
        createdById: actor.userId ?? null,
      },
    });
    await recordAudit(tx, {
      organizationId: scope.organizationId,
      actor,
      action: 'dataset.create',
      targetType: 'Dataset',
      targetId: dataset.id,
      data: { filename: displayName, sizeBytes: ref.size, sha256: ref.sha256 },
    });
    await enqueueInTransaction(boss, tx, validateDatasetJob, { datasetId: dataset.id });
    return dataset;
  });
  return toDatasetSummary(row);
}
