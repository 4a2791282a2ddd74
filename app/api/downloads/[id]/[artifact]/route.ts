// Downloads of a fine-tuned model for the signed-in member (or an API key) of its project:
// adapter.zip (PEFT, with a README), adapter.gguf, merged.gguf (made on first request).
import path from 'node:path';
import { callerFromRequest, RequestAuthError } from '@/server/api/request-tenant';
import { artifactStoreConfigFromEnv, createArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { LatheError } from '@/server/services/errors';
import { DOWNLOAD_ARTIFACTS, openModelDownload, type DownloadArtifact } from '@/server/services/serving/model-downloads';

export const dynamic = 'force-dynamic';

const ascii = (value: string) => value.replace(/[^\x20-\x7e]|["\\]/g, '_');

export async function GET(req: Request, { params }: { params: Promise<{ id: string; artifact: string }> }) {
  const { id, artifact } = await params;
  if (!DOWNLOAD_ARTIFACTS.includes(artifact as DownloadArtifact)) return new Response(`Unknown download ${artifact}; one of ${DOWNLOAD_ARTIFACTS.join(', ')}.\n`, { status: 404 });
  try {
    const { tenant } = await callerFromRequest(req.headers);
    const config = artifactStoreConfigFromEnv();
    const download = await openModelDownload({
      tenant,
      store: createArtifactStore(config),
      fineTunedModelId: id,
      artifact: artifact as DownloadArtifact,
      workRoot: path.join(process.env.LATHE_DATA_DIR || path.resolve('.lathe'), 'tmp', 'downloads'),
    });
    const headers: Record<string, string> = {
      'content-type': download.contentType,
      'content-disposition': `attachment; filename="${ascii(download.filename)}"; filename*=UTF-8''${encodeURIComponent(download.filename)}`,
      'cache-control': 'private, no-store',
      'x-lathe-base-model': ascii(download.baseModel),
      'x-lathe-base-model-license': ascii(download.license ?? 'unknown'),
    };
    if (download.size !== null) headers['content-length'] = String(download.size);
    return new Response(download.body, { headers });
  } catch (error) {
    if (error instanceof RequestAuthError) return new Response(`${error.message}\n`, { status: error.status });
    if (error instanceof LatheError && error.code === 'NOT_FOUND') return new Response(`${error.message}.\n`, { status: 404 });
    if (error instanceof LatheError) return new Response(`${error.message}\n`, { status: 409 });
    throw error;
  }
}
