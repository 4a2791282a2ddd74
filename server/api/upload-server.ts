// Resumable dataset uploads (tus 1.0) on @tus/server with their state in PostgreSQL and their bytes
// in files under the data directory (UploadStore), so any web process can take any request of an upload. Each upload belongs
// to the project of the caller who created it (session cookie or API key, resolved as tRPC does);
// when its last byte arrives it becomes a Dataset through the same service as every other upload
// path, and its bytes are dropped.
import { ERRORS, Server } from '@tus/server';
import { ERROR_CLASSES } from '@/lib/universal/errors';
import { callerFromRequest, RequestAuthError, type RequestCaller } from '@/server/api/request-tenant';
import { getDb } from '@/server/db';
import { formatBytes, maxUploadBytes } from '@/server/services/datasets/platform/config';
import { UploadStore } from '@/server/services/datasets/platform/upload-store';
import { LatheError } from '@/server/services/errors';
import { assertStorageFor } from '@/server/services/quotas/enforce-quotas';
import { logger } from '@/server/logger';

export const UPLOAD_PATH = '/api/uploads';
/** An unfinished upload can be resumed for this long, then it is removed. */
const EXPIRATION_MS = 24 * 3600 * 1000;
const CLEANUP_INTERVAL_MS = 3600 * 1000;
/** Metadata keys the server sets; a client's own values for them are dropped. */
const OWNER_KEYS = ['latheOrganization', 'latheProject', 'latheUser', 'latheApiKey'] as const;

type HookError = { status_code: number; body: string };
const refuse = (status_code: number, message: string): HookError => ({ status_code, body: `${message}\n` });

function createUploadServer(): Server {
  const datastore = new UploadStore({
    db: getDb,
    databaseUrl: () => process.env.DATABASE_URL ?? '',
    expirationMs: EXPIRATION_MS,
  });
  /** Callers resolved once per request, shared by the hooks of that request. */
  const callers = new WeakMap<Request, RequestCaller>();
  let lastCleanup = 0;

  const callerOf = async (req: Request): Promise<RequestCaller> => {
    const known = callers.get(req);
    if (known) return known;
    try {
      const resolved = await callerFromRequest(req.headers);
      callers.set(req, resolved);
      return resolved;
    } catch (error) {
      if (error instanceof RequestAuthError) throw refuse(error.status, error.message);
      throw error;
    }
  };

  return new Server({
    path: UPLOAD_PATH,
    datastore,
    relativeLocation: true,
    // Same origin only: the dashboard needs no CORS, and other clients send an API key.
    allowedOrigins: [],
    exposedHeaders: ['Lathe-Dataset-Id'],
    maxSize: () => maxUploadBytes(),
    async onIncomingRequest(req, uploadId) {
      const { tenant } = await callerOf(req);
      if (req.method === 'POST') {
        if (Date.now() - lastCleanup > CLEANUP_INTERVAL_MS) {
          lastCleanup = Date.now();
          void datastore.deleteExpired().catch((error: unknown) => logger.warn({ err: error }, 'could not remove expired uploads'));
        }
        return;
      }
      const upload = await datastore.getUpload(uploadId).catch(() => null);
      // Another project's upload answers exactly like one that does not exist.
      if (!upload || upload.metadata?.latheProject !== tenant.scope.projectId || upload.metadata?.latheOrganization !== tenant.scope.organizationId) {
        throw ERRORS.FILE_NOT_FOUND;
      }
    },
    async onUploadCreate(req, upload) {
      const { tenant } = await callerOf(req);
      // Refused before any byte is sent when the announced size does not fit the organization's storage.
      await assertStorageFor(tenant.db, tenant.scope.organizationId, upload.size ?? 0, 'This file', { lock: false }).catch((error: unknown) => {
        throw error instanceof LatheError ? refuse(ERROR_CLASSES[error.code].status, error.message) : error;
      });
      const metadata: Record<string, string | null> = { ...upload.metadata };
      for (const key of OWNER_KEYS) delete metadata[key];
      metadata.latheOrganization = tenant.scope.organizationId;
      metadata.latheProject = tenant.scope.projectId;
      metadata.latheUser = tenant.actor.userId ?? null;
      metadata.latheApiKey = tenant.actor.apiKeyId ?? null;
      return { metadata };
    },
    async onUploadFinish(req, upload) {
      const { tenant } = await callerOf(req);
      const metadata = upload.metadata ?? {};
      try {
        const datasetId = await datastore.finish({
          id: upload.id,
          tenant,
          maxBytes: maxUploadBytes(),
          filename: metadata.filename ?? metadata.name ?? 'dataset.jsonl',
          name: metadata.datasetName ?? undefined,
          expectedSha256: metadata.sha256 || undefined,
        });
        return { headers: { 'Lathe-Dataset-Id': datasetId } };
      } catch (error) {
        if (error instanceof LatheError) throw refuse(ERROR_CLASSES[error.code].status, error.message);
        if (error === ERRORS.FILE_NOT_FOUND || error === ERRORS.INVALID_OFFSET) throw error;
        logger.error({ err: error, upload: upload.id }, 'storing a finished upload failed');
        throw refuse(500, 'The upload arrived but could not be stored; retrying will try again.');
      }
    },
    async onResponseError(_req, error) {
      if ('status_code' in error && error.body === ERRORS.ERR_MAX_SIZE_EXCEEDED.body) {
        const limit = maxUploadBytes();
        return refuse(413, `The file is larger than ${formatBytes(limit)}, the largest dataset Lathe accepts (LATHE_MAX_UPLOAD_BYTES = ${limit} bytes).`);
      }
      if (!('status_code' in error)) logger.error({ err: error }, 'upload request failed');
      return undefined;
    },
  });
}

const globalForUploads = globalThis as unknown as { __latheUploadServer?: Server };

/** The process's tus server, created on first request (never while the app is being built). */
export function uploadServer(): Server {
  globalForUploads.__latheUploadServer ??= createUploadServer();
  return globalForUploads.__latheUploadServer;
}
