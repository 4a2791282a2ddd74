// Route handlers outside tRPC (the upload endpoint, the dashboard's download) resolve their caller
// exactly as tRPC does: the same context (session cookie or API key) and the same project
// middleware, reached through a server-side caller of `dataset.uploadTarget`.
import { TRPCError } from '@trpc/server';
import { createCaller } from '@/server/api/root';
import { createContext } from '@/server/api/trpc';
import { tenantDb, type TenantContext } from '@/server/db/tenant';
import { publicUrl } from '@/server/env';

export type RequestTenant = { tenant: TenantContext; maxUploadBytes: number };

/** Status and message for a caller who cannot act here. */
export class RequestAuthError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS: Partial<Record<TRPCError['code'], number>> = { UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, PRECONDITION_FAILED: 412 };

export async function tenantFromRequest(headers: Headers): Promise<RequestTenant> {
  try {
    const ctx = await createContext({ headers, baseUrl: publicUrl() });
    const { maxUploadBytes, organizationId, projectId } = await createCaller(ctx).dataset.uploadTarget();
    const scope = { organizationId, projectId };
    const actor = ctx.apiKey ? { apiKeyId: ctx.apiKey.apiKeyId } : { userId: ctx.session?.userId ?? null };
    return { tenant: { db: tenantDb(scope, ctx.db), scope, actor }, maxUploadBytes };
  } catch (error) {
    if (error instanceof TRPCError) throw new RequestAuthError(STATUS[error.code] ?? 400, error.message);
    throw error;
  }
}
