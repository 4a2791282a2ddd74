// The trainer's log of a job, as a text download, for the signed-in member (or an API key) of its project.
import { Readable } from 'node:stream';
import { callerFromRequest, RequestAuthError } from '@/server/api/request-tenant';
import { artifactStoreConfigFromEnv, createArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { LatheError } from '@/server/services/errors';
import { openJobLog } from '@/server/services/training/job-log';

export const dynamic = 'force-dynamic';

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  try {
    const { tenant } = await callerFromRequest(req.headers);
    const log = await openJobLog({ tenant, store: createArtifactStore(artifactStoreConfigFromEnv()), id });
    const headers: Record<string, string> = {
      'content-type': 'text/plain; charset=utf-8',
      'content-disposition': `attachment; filename="${log.filename}"`,
      'cache-control': 'private, no-store',
      'x-lathe-log-source': log.stored ? 'artifact-store' : 'events',
    };
    if (log.size !== null) headers['content-length'] = String(log.size);
    return new Response(Readable.toWeb(log.body) as ReadableStream, { headers });
  } catch (error) {
    if (error instanceof RequestAuthError) return new Response(`${error.message}\n`, { status: error.status });
    if (error instanceof LatheError && error.code === 'NOT_FOUND') return new Response(`${error.message}.\n`, { status: 404 });
    throw error;
  }
}
