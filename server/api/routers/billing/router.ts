import { z } from 'zod';
import { orgAdminProcedure, projectProcedure, router, signedInProjectProcedure } from '@/server/api/trpc';
import { LatheError } from '@/server/services/errors';
import { getBalance } from '@/server/services/credits/credits';
import { checkoutStatus, createCheckout, createPortalSession, listInvoices } from '@/server/services/billing/checkout';
import { billingSummary, keySpend, setAutoTopUp, setKeySpendCap, setSpendCap } from '@/server/services/billing/billing-settings';
import { statement, usageSeries } from '@/server/services/billing/usage-report';

const ZRange = z.object({ from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) }).refine((r) => r.from <= r.to, { message: 'The start date must not be after the end date.' });
const ZCredits = z.number().positive().max(1e12).nullable();

const ownerOnly = orgAdminProcedure.use(({ ctx, next }) => {
  if (ctx.role !== 'OWNER') throw new LatheError('FORBIDDEN', 'Only owners of this organization can change its billing settings.', { reason: 'owner_only' });
  return next();
});

export const billingRouter = router({
  balance: projectProcedure.query(async ({ ctx }) => ({ balance: await getBalance({ db: ctx.tenant.db, organizationId: ctx.tenant.scope.organizationId }) })),
  ledger: projectProcedure.input(z.object({ cursor: z.string().nullish(), limit: z.number().int().min(1).max(100).default(50) }).default({ limit: 50 })).query(async ({ ctx, input }) => {
    const rows = await ctx.tenant.db.creditLedgerEntry.findMany({
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: input.limit + 1,
      ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    });
    const page = rows.slice(0, input.limit);
    return {
      entries: page.map((e) => ({ id: e.id, kind: e.kind, amount: e.amount.toString(), memo: e.memo, jobId: e.jobId, createdAt: e.createdAt })),
      nextCursor: rows.length > input.limit ? page.at(-1)!.id : null,
    };
  }),
  usage: projectProcedure.query(async ({ ctx }) => {
    const rows = await ctx.tenant.db.usageRecord.findMany({ orderBy: { day: 'desc' }, take: 90 });
    return rows.map((r) => ({ day: r.day, model: r.model, requests: r.requests, promptTokens: Number(r.promptTokens), completionTokens: Number(r.completionTokens) }));
  }),
  summary: signedInProjectProcedure.query(async ({ ctx }) => ({ ...(await billingSummary({ db: ctx.db, organizationId: ctx.tenant.scope.organizationId })), role: ctx.role })),
  usageSeries: signedInProjectProcedure.input(ZRange).query(({ ctx, input }) => usageSeries({ db: ctx.db, organizationId: ctx.tenant.scope.organizationId, from: new Date(input.from), to: new Date(input.to) })),
  statement: signedInProjectProcedure.input(ZRange).query(({ ctx, input }) => statement({ db: ctx.db, organizationId: ctx.tenant.scope.organizationId, from: new Date(input.from), to: new Date(input.to) })),
  invoices: signedInProjectProcedure.query(({ ctx }) => listInvoices({ db: ctx.db, organizationId: ctx.tenant.scope.organizationId })),
  keySpend: signedInProjectProcedure.query(({ ctx }) => keySpend({ db: ctx.db, organizationId: ctx.tenant.scope.organizationId })),
  checkoutStatus: signedInProjectProcedure.input(z.object({ sessionId: z.string().min(1).max(255) })).query(({ ctx, input }) => checkoutStatus({ db: ctx.db, organizationId: ctx.tenant.scope.organizationId, sessionId: input.sessionId })),
  checkout: orgAdminProcedure.input(z.object({ pack: z.string().min(1).max(40) })).mutation(({ ctx, input }) =>
    createCheckout({ db: ctx.db, organizationId: ctx.tenant.scope.organizationId, packId: input.pack, email: ctx.session?.email, actor: ctx.tenant.actor, baseUrl: ctx.baseUrl }),
  ),
  portal: orgAdminProcedure.mutation(({ ctx }) => createPortalSession({ db: ctx.db, organizationId: ctx.tenant.scope.organizationId, email: ctx.session?.email, baseUrl: ctx.baseUrl })),
  setAutoTopUp: ownerOnly
    .input(z.object({ enabled: z.boolean(), threshold: ZCredits, packId: z.string().max(40).nullable() }))
    .mutation(({ ctx, input }) => setAutoTopUp({ db: ctx.db, organizationId: ctx.tenant.scope.organizationId, ...input, actor: ctx.tenant.actor })),
  setSpendCap: ownerOnly.input(z.object({ cap: ZCredits })).mutation(({ ctx, input }) => setSpendCap({ db: ctx.db, organizationId: ctx.tenant.scope.organizationId, cap: input.cap, actor: ctx.tenant.actor })),
  setKeySpendCap: ownerOnly
    .input(z.object({ apiKeyId: z.string().min(1).max(64), cap: ZCredits }))
    .mutation(({ ctx, input }) => setKeySpendCap({ db: ctx.db, organizationId: ctx.tenant.scope.organizationId, apiKeyId: input.apiKeyId, cap: input.cap, actor: ctx.tenant.actor })),
});
