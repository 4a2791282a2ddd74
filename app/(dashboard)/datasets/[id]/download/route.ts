// The dashboard's download link: the file as uploaded, for the signed-in member's project.
import { Readable } from 'node:stream';
import { callerFromRequest, RequestAuthError } from '@/server/api/request-tenant';
import { datasetStore } from '@/server/services/datasets/platform/config';
import { findDataset } from '@/server/services/datasets/platform/read-datasets';
import { LatheError } from '@/server/services/errors';

export const dynamic = 'force-dynamic';

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const { tenant } = await callerFromRequest(req.headers);
    const dataset = await findDataset({ db: tenant.db, id: (await params).id });
    if (!dataset.sha256) return new Response('This dataset has no stored file.\n', { status: 404 });
    const stream = await datasetStore().get(dataset.sha256);
    const filename = (dataset.filename ?? 'dataset.jsonl').replace(/[^\x20-\x7e]|["\\]/g, '_');
    return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, {
      headers: {
        'content-type': 'application/jsonl; charset=utf-8',
        'content-length': String(dataset.sizeBytes),
        'content-disposition': `attachment; filename="${filename}"; filename*=UTF-8''${encodeURIComponent(dataset.filename ?? 'dataset.jsonl')}`,
        'cache-control': 'private, no-store',
      },
    });
  } catch (error) {
    if (error instanceof RequestAuthError) return new Response(`${error.message}\n`, { status: error.status });
    if (error instanceof LatheError && error.code === 'NOT_FOUND') return new Response('Dataset not found.\n', { status: 404 });
    throw error;
  }
}
