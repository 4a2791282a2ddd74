import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { projectProcedure, router, type Context, type ProjectCtx } from '@/server/api/trpc';
import { listUsableModels } from '@/server/services/model-registry/list-usable-models';
import { listHubRepoFiles, searchHub, type HubLookupOwner } from '@/server/services/model-registry/browse-hub';
import { importRootFor } from '@/server/services/model-registry/import-root';
import { deleteModel, getBaseModel, listBaseModels, toModelSummary } from '@/server/services/model-registry/manage-models';
import { requestModelImport, retryModelImport, ZHubRepoId, type ModelScope, type PlatformImporter, type TModelImportSource, ZModelImportSource } from '@/server/services/model-registry/request-model-import';

const ZScope = z.enum(['project', 'platform']).default('project');
const ZName = z.string().trim().min(1).max(64);

type Caller = Context & ProjectCtx;

/** Platform operator rights for a signed-in platform administrator, else undefined. */
function platformAdmin(ctx: Caller): PlatformImporter | undefined {
  return ctx.session?.role === 'ADMIN' ? { db: ctx.db, actor: { userId: ctx.session.userId } } : undefined;
}

/** Imports put files on the server's disks: organization owners and admins only (platform admins for platform-wide models). */
function assertCanImport(ctx: Caller, scope: ModelScope) {
  if (!ctx.session) throw new TRPCError({ code: 'FORBIDDEN', message: 'Importing models needs a signed-in organization owner or admin.' });
  if (scope === 'platform' && !platformAdmin(ctx)) throw new TRPCError({ code: 'FORBIDDEN', message: 'Only platform administrators can add platform-wide base models.' });
  if (scope === 'project' && ctx.role === 'MEMBER') throw new TRPCError({ code: 'FORBIDDEN', message: 'Only owners and admins of this organization can import models.' });
}

/** Whose Hub access a look-up uses: the operator's for platform-wide imports, the organization's own otherwise. */
function hubOwner(ctx: Caller, scope: ModelScope): HubLookupOwner {
  if (scope === 'platform' && !platformAdmin(ctx)) throw new TRPCError({ code: 'FORBIDDEN', message: 'Only platform administrators can browse the Hub for platform-wide models.' });
  return { db: ctx.db, organizationId: scope === 'platform' ? null : ctx.tenant.scope.organizationId };
}

async function startImport(ctx: Caller, input: { name: string; scope: ModelScope }, source: TModelImportSource) {
  assertCanImport(ctx, input.scope);
  // A server path reads the server's disk: each organization only its own folder of it.
  const importRoot = source.kind === 'hub' ? null : importRootFor({ organizationId: ctx.tenant.scope.organizationId, platformAdmin: Boolean(platformAdmin(ctx)) });
  const model = await requestModelImport({
    tenant: ctx.tenant,
    admin: input.scope === 'platform' ? platformAdmin(ctx) : undefined,
    source,
    name: input.name,
    scope: input.scope,
    importRoot,
  });
  return toModelSummary(model, ctx.tenant.scope.organizationId);
}

/** Retry (same source) or Edit (another source or name) of a failed import: the rights of a new import of its scope. */
async function retryImport(ctx: Caller, input: { id: string; name?: string; source?: TModelImportSource }) {
  const row = await ctx.tenant.db.baseModel.findFirst({ where: { id: input.id }, select: { organizationId: true, source: true } });
  const scope: ModelScope = row && row.organizationId === null ? 'platform' : 'project';
  assertCanImport(ctx, scope);
  const kind = input.source?.kind ?? (row?.source === 'HUGGING_FACE' ? 'hub' : 'folder');
  // A row the caller cannot see is NOT_FOUND from the service, before any question of folders.
  const importRoot = !row || kind === 'hub' ? null : importRootFor({ organizationId: ctx.tenant.scope.organizationId, platformAdmin: Boolean(platformAdmin(ctx)) });
  const model = await retryModelImport({ tenant: ctx.tenant, admin: scope === 'platform' ? platformAdmin(ctx) : undefined, id: input.id, name: input.name, source: input.source, importRoot });
  return toModelSummary(model, ctx.tenant.scope.organizationId);
}

export const modelRouter = router({
  usable: projectProcedure.query(({ ctx }) => listUsableModels({ db: ctx.tenant.db })),
  list: projectProcedure.query(({ ctx }) => listBaseModels({ tenant: ctx.tenant })),
  get: projectProcedure.input(z.object({ id: z.string() })).query(({ ctx, input }) => getBaseModel({ tenant: ctx.tenant, id: input.id })),
  importFromFolder: projectProcedure
    .input(z.object({ dir: z.string().trim().min(1).max(4096), name: ZName, scope: ZScope }))
    .mutation(({ ctx, input }) => startImport(ctx, input, { kind: 'folder', dir: input.dir })),
  importFromGguf: projectProcedure
    .input(z.object({ file: z.string().trim().min(1).max(4096), name: ZName, scope: ZScope }))
    .mutation(({ ctx, input }) => startImport(ctx, input, { kind: 'gguf', file: input.file })),
  importFromHub: projectProcedure
    .input(z.object({ repo: ZHubRepoId, revision: z.string().trim().min(1).max(200).optional(), name: ZName.optional(), scope: ZScope }))
    .mutation(({ ctx, input }) =>
      startImport(ctx, { name: input.name ?? input.repo.split('/').at(-1)!, scope: input.scope }, { kind: 'hub', repo: input.repo, revision: input.revision }),
    ),
  /** A failed import again: as it was, or with the source and name the user edited. */
  retryImport: projectProcedure
    .input(z.object({ id: z.string().min(1).max(100), name: ZName.optional(), source: ZModelImportSource.optional() }))
    .mutation(({ ctx, input }) => retryImport(ctx, input)),
  searchHub: projectProcedure
    .input(z.object({ query: z.string().trim().max(200), scope: ZScope }))
    .query(({ ctx, input }) => searchHub({ owner: hubOwner(ctx, input.scope), query: input.query })),
  listHubFiles: projectProcedure
    .input(z.object({ repo: ZHubRepoId, revision: z.string().trim().min(1).max(200).optional(), scope: ZScope }))
    .query(({ ctx, input }) => listHubRepoFiles({ owner: hubOwner(ctx, input.scope), repo: input.repo, revision: input.revision })),
  delete: projectProcedure.input(z.object({ id: z.string() })).mutation(({ ctx, input }) => {
    if (!ctx.session || (ctx.role === 'MEMBER' && !platformAdmin(ctx))) {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'Only owners and admins of this organization can delete models.' });
    }
    return deleteModel({ tenant: ctx.tenant, admin: platformAdmin(ctx), id: input.id });
  }),
});
