// Route handlers outside tRPC (the upload endpoint, the playground's streaming chat, downloads)
// resolve their caller exactly as tRPC does: the same context (session cookie or API key) and the
// same project middleware, reached through a server-side caller of `serving.requestScope`.
import { TRPCError } from '@trpc/server';
import { classForTrpcCode, ERROR_CLASSES, type ErrorClass } from '@/lib/universal/errors';
import { createCaller } from '@/server/api/root';
import { createContext } from '@/server/api/trpc';
import { tenantDb, type TenantContext } from '@/server/db/tenant';
import { publicUrl } from '@/server/env';

export type RequestCaller = { tenant: TenantContext; userId: string | null; apiKeyId: string | null };

/** A caller who cannot act here, with the catalogue's class and status for why. */
export class RequestAuthError extends Error {
  readonly status: number;
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
  ) {
    super(message);
    this.status = ERROR_CLASSES[errorClass].status;
  }
}

export async function callerFromRequest(headers: Headers): Promise<RequestCaller> {
  try {
    const ctx = await createContext({ headers, baseUrl: publicUrl() });
    const { organizationId, projectId, userId, apiKeyId } = await createCaller(ctx).serving.requestScope();
    const scope = { organizationId, projectId };
    const actor = apiKeyId ? { apiKeyId } : { userId };
    return { tenant: { db: tenantDb(scope, ctx.db), scope, actor }, userId, apiKeyId };
  } catch (error) {
    if (error instanceof TRPCError) throw new RequestAuthError(classForTrpcCode(error.code), error.message);
    throw error;
  }
}
