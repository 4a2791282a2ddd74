import { Readable } from 'node:stream';
import { withFile } from '@/app/v1/files/files-api';
import { withApiKey } from '@/server/api/rest/with-api-key';
import { methodNotAllowed } from '@/server/api/rest/errors';
import type { TenantDb } from '@/server/db/tenant';
import { datasetStore } from '@/server/services/datasets/platform/config';
import { findDataset } from '@/server/services/datasets/platform/read-datasets';
import { notFound } from '@/server/services/errors';
import { openResultFile } from '@/server/services/training/result-files';

export const dynamic = 'force-dynamic';

function attachment(stream: Readable, type: string, bytes: number | bigint, filename: string) {
  return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, {
    headers: { 'content-type': type, 'content-length': String(bytes), 'content-disposition': `attachment; filename="${filename}"` },
  });
}

async function uploadContent(db: TenantDb, datasetId: string) {
  const dataset = await findDataset({ db, id: datasetId });
  if (!dataset.sha256) throw notFound('File content');
  const filename = (dataset.filename ?? 'dataset.jsonl').replace(/[^\x20-\x7e]|["\\]/g, '_');
  return attachment(await datasetStore().get(dataset.sha256), 'application/octet-stream', dataset.sizeBytes, filename);
}

async function resultContent(db: TenantDb, jobId: string) {
  const { file, stream } = await openResultFile({ db, jobId });
  return attachment(stream, 'text/csv; charset=utf-8', file.bytes, file.filename);
}

/** An upload's bytes as uploaded, or a job's metrics CSV, streamed from the artifact store. */
export const GET = withApiKey<{ file: string }>(async ({ tenant, params }) =>
  withFile(params.file, (file) => (file.kind === 'result' ? resultContent(tenant.db, file.jobId) : uploadContent(tenant.db, file.datasetId))),
);

const refuse = methodNotAllowed('GET');
export { refuse as POST, refuse as PUT, refuse as PATCH, refuse as DELETE };
