import { Readable } from 'node:stream';
import { withFile } from '@/app/v1/files/files-api';
import { withApiKey } from '@/server/api/rest/with-api-key';
import { datasetStore } from '@/server/services/datasets/platform/config';
import { findDataset } from '@/server/services/datasets/platform/read-datasets';
import { notFound } from '@/server/services/errors';

export const dynamic = 'force-dynamic';

/** The file's bytes as uploaded, streamed from the artifact store. */
export const GET = withApiKey<{ file: string }>(async ({ tenant, params }) => {
  const dataset = await withFile(params.file, async (id) => {
    const row = await findDataset({ db: tenant.db, id });
    if (!row.sha256) throw notFound('File content');
    return row;
  });
  const stream = await datasetStore().get(dataset.sha256!);
  const filename = (dataset.filename ?? 'dataset.jsonl').replace(/[^\x20-\x7e]|["\\]/g, '_');
  return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, {
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(dataset.sizeBytes),
      'content-disposition': `attachment; filename="${filename}"`,
    },
  });
});
