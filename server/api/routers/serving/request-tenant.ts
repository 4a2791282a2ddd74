// Route handlers outside tRPC (the playground's streaming chat, downloads) resolve their caller as
// tRPC does: the same context (session cookie or API key) and project middleware, through a
// server-side caller of `serving.requestScope`.
import { TRPCError } from '@trpc/server';
import { createCaller } from '@/server/api/root';
import { createContext } from '@/server/api/trpc';
import { tenantDb, type TenantContext } from '@/server/db/tenant';
import { publicUrl } from '@/server/env';

export type ServingCaller = { tenant: TenantContext; userId: string | null; apiKeyId: string | null };

export class RequestAuthError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS: Partial<Record<TRPCError['code'], number>> = { UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, PRECONDITION_FAILED: 412 };

export async function servingCallerFromRequest(headers: Headers): Promise<ServingCaller> {
  try {
    const ctx = await createContext({ headers, baseUrl: publicUrl() });
    const { organizationId, projectId, userId, apiKeyId } = await createCaller(ctx).serving.requestScope();
    const scope = { organizationId, projectId };
    const actor = apiKeyId ? { apiKeyId } : { userId };
    return { tenant: { db: tenantDb(scope, ctx.db), scope, actor }, userId, apiKeyId };
  } catch (error) {
    if (error instanceof TRPCError) throw new RequestAuthError(STATUS[error.code] ?? 400, error.message);
    throw error;
  }
}
