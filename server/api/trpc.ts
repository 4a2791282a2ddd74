// tRPC core: the context (who is calling, resolved once) and the procedure tiers.
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import { getDb, type Db } from '@/server/db';
import { tenantDb, type TenantContext } from '@/server/db/tenant';
import { readSession, sessionCookieHeader, type SessionUser } from '@/server/auth/session';
import { authenticateApiKey, type ApiKeyPrincipal } from '@/server/services/api-keys/api-keys';
import { clientAddressOf } from '@/server/services/auth/client-address';
import { describeError } from '@/lib/universal/errors';
import { LatheError } from '@/server/services/errors';
import { logger } from '@/server/logger';
import { assertStorableText } from '@/server/api/storable-text';
import type { MemberRole } from '@/server/generated/prisma/client';

export type CreateContextOptions = { headers: Headers; baseUrl: string; db?: Db; secret?: string; resHeaders?: Headers };

export type Context = {
  db: Db;
  session: SessionUser | null;
  apiKey: ApiKeyPrincipal | null;
  /** The project the caller asked to act in: header x-lathe-project (strict) or cookie lathe_project (a preference). */
  requestedProjectId: string | null;
  /** True when the project came from the header: an inaccessible one is then NOT_FOUND, not a fallback. */
  projectExplicit?: boolean;
  baseUrl: string;
  /** As the web server resolved it through LATHE_TRUSTED_PROXIES. */
  clientIp: string;
  /** Signs this browser in again with a new session version, after a change that ended the others. */
  renewSession?: (user: SessionUser, sessionVersion: number) => Promise<void>;
};

export async function createContext({ headers, baseUrl, db = getDb(), secret = process.env.AUTH_SECRET ?? '', resHeaders }: CreateContextOptions): Promise<Context> {
  const authorization = headers.get('authorization');
  let apiKey: ApiKeyPrincipal | null = null;
  if (authorization?.startsWith('Bearer ')) {
    apiKey = await authenticateApiKey({ db, secret: authorization.slice(7).trim() });
    if (!apiKey) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Invalid or revoked API key.' });
  }
  const session = apiKey ? null : await readSession(headers.get('cookie'), secret, db);
  const cookieProject = /(?:^|;\s*)lathe_project=([^;]+)/.exec(headers.get('cookie') ?? '')?.[1] ?? null;
  return {
    db,
    session,
    apiKey,
    requestedProjectId: headers.get('x-lathe-project') ?? cookieProject,
    projectExplicit: headers.has('x-lathe-project'),
    baseUrl,
    clientIp: clientAddressOf(headers),
    renewSession: resHeaders
      ? async (user, sessionVersion) => resHeaders.append('set-cookie', await sessionCookieHeader(user, sessionVersion, { secret, secure: baseUrl.startsWith('https://') }))
      : undefined,
  };
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
        stack: undefined,
        zodError: cause instanceof ZodError ? cause.flatten() : null,
        param: cause instanceof LatheError ? (cause.details.param ?? null) : null,
        reason: cause instanceof LatheError ? (cause.details.reason ?? null) : null,
      },
    };
  },
});

export const createCallerFactory = t.createCallerFactory;
export const router = t.router;

/** Service errors become tRPC errors here, in one place. */
const errorMapping = t.middleware(async ({ next, path }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof LatheError) {
      throw new TRPCError({ code: describeError(cause.code, cause.details.reason).trpc, message: cause.message, cause });
    }
    if (result.error.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: result.error.cause ?? result.error, path }, 'tRPC procedure failed');
  }
  return result;
});

/** Input text the database cannot store is refused before any procedure runs a query with it. */
const storableInput = t.middleware(async ({ getRawInput, next }) => {
  assertStorableText(await getRawInput(), 'The input');
  return next();
});

export const publicProcedure = t.procedure.use(errorMapping).use(storableInput);

/** A signed-in person (not an API key): account and organization management. */
export const sessionProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in to continue.' });
  return next({ ctx: { ...ctx, session: ctx.session } });
});

export type ProjectCtx = {
  tenant: TenantContext;
  role: MemberRole;
  userId: string | null;
};

async function resolveProject(ctx: Context): Promise<ProjectCtx> {
  if (ctx.apiKey) {
    const { organizationId, projectId, apiKeyId, userId } = ctx.apiKey;
    // A key acts with member rights inside its one project.
    return { tenant: { db: tenantDb({ organizationId, projectId }, ctx.db), scope: { organizationId, projectId }, actor: { apiKeyId } }, role: 'MEMBER', userId };
  }
  const session = ctx.session;
  if (!session) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in or pass an API key.' });
  const memberships = await ctx.db.membership.findMany({
    where: { userId: session.userId },
    select: { organizationId: true, role: true, organization: { select: { personal: true } } },
    orderBy: { createdAt: 'asc' },
  });
  if (memberships.length === 0) throw new TRPCError({ code: 'FORBIDDEN', message: 'You are not a member of any organization.' });
  let project = ctx.requestedProjectId
    ? await ctx.db.project.findFirst({ where: { id: ctx.requestedProjectId, organizationId: { in: memberships.map((m) => m.organizationId) } } })
    : null;
  if (!project && ctx.requestedProjectId && ctx.projectExplicit) throw new TRPCError({ code: 'NOT_FOUND', message: 'Project not found.' });
  if (!project) {
    const home = memberships.find((m) => m.organization.personal) ?? memberships[0]!;
    project = await ctx.db.project.findFirst({ where: { organizationId: home.organizationId }, orderBy: { createdAt: 'asc' } });
  }
  if (!project) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'This organization has no project yet; create one.' });
  const role = memberships.find((m) => m.organizationId === project.organizationId)!.role;
  const scope = { organizationId: project.organizationId, projectId: project.id };
  return { tenant: { db: tenantDb(scope, ctx.db), scope, actor: { userId: session.userId } }, role, userId: session.userId };
}

/** Acting inside one project of one organization; every query goes through the tenant client. */
export const projectProcedure = publicProcedure.use(async ({ ctx, next }) => next({ ctx: { ...ctx, ...(await resolveProject(ctx)) } }));

/**
 * A signed-in person acting in a project. API keys are refused: a key that could mint or revoke
 * keys, or manage members, would outlive the revocation of its own access.
 */
export const signedInProjectProcedure = projectProcedure.use(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: 'FORBIDDEN', message: 'This needs a signed-in session: an API key cannot manage API keys or the organization.' });
  return next({ ctx: { ...ctx, session: ctx.session } });
});

/** Organization owners and admins, signed in. */
export const orgAdminProcedure = signedInProjectProcedure.use(({ ctx, next }) => {
  if (ctx.role === 'MEMBER') throw new TRPCError({ code: 'FORBIDDEN', message: 'Only owners and admins of this organization can do that.' });
  return next();
});

export const platformAdminProcedure = sessionProcedure.use(({ ctx, next }) => {
  if (ctx.session.role !== 'ADMIN') throw new TRPCError({ code: 'FORBIDDEN', message: 'Platform administrators only.' });
  return next();
});
