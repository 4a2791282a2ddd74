import { z } from 'zod';
import { platformAdminProcedure, router } from '@/server/api/trpc';
import { verifyAuditChain } from '@/server/services/audit/verify-audit-chain';
import { getOrganizationQuotas, setOrganizationQuotas, ZQuotaOverrides } from '@/server/services/quotas/manage-quotas';
import { billingDashboard, searchAccounts, setSuspended, unfreezePaidUsage } from '@/server/services/billing/admin-billing';
import { adjustCredits, grantCredits } from '@/server/services/credits/credits';
import { getPriceBook, setPriceBook } from '@/server/services/billing/price-book';
import { ZPriceBook } from '@/lib/universal/price-book';

const ZOrganization = z.object({ organizationId: z.string().min(1).max(64) });

/** Each organization's limits: what applies, what the administrator set, the defaults and the usage. */
const quotasRouter = router({
  get: platformAdminProcedure.input(ZOrganization).query(({ ctx, input }) => getOrganizationQuotas({ db: ctx.db, organizationId: input.organizationId })),
  set: platformAdminProcedure
    .input(ZQuotaOverrides.extend(ZOrganization.shape))
    .mutation(({ ctx, input: { organizationId, ...overrides } }) => setOrganizationQuotas({ db: ctx.db, organizationId, overrides, actor: { userId: ctx.session.userId } })),
});

const ZReason = z.string().trim().min(3, 'Give the reason (at least 3 characters); it is kept in the audit log.').max(500);

/** Billing for platform administrators: the dashboard, the price book, grants, adjustments, suspension. */
const billingAdminRouter = router({
  dashboard: platformAdminProcedure.query(({ ctx }) => billingDashboard({ db: ctx.db })),
  search: platformAdminProcedure.input(z.object({ query: z.string().max(200) })).query(({ ctx, input }) => searchAccounts({ db: ctx.db, query: input.query })),
  priceBook: platformAdminProcedure.query(({ ctx }) => getPriceBook({ db: ctx.db })),
  setPriceBook: platformAdminProcedure.input(ZPriceBook).mutation(({ ctx, input }) => setPriceBook({ db: ctx.db, book: input, actor: { userId: ctx.session.userId } })),
  grant: platformAdminProcedure
    .input(ZOrganization.extend({ amount: z.number().positive().max(1e12), reason: ZReason }))
    .mutation(({ ctx, input }) => grantCredits({ db: ctx.db, organizationId: input.organizationId, amount: input.amount, memo: input.reason, actor: { userId: ctx.session.userId } })),
  adjust: platformAdminProcedure
    .input(ZOrganization.extend({ amount: z.number().min(-1e12).max(1e12).refine((n) => n !== 0, 'The amount must not be zero.'), reason: ZReason }))
    .mutation(({ ctx, input }) => adjustCredits({ db: ctx.db, organizationId: input.organizationId, amount: input.amount, reason: input.reason, actor: { userId: ctx.session.userId } })),
  setSuspended: platformAdminProcedure
    .input(ZOrganization.extend({ suspended: z.boolean(), reason: ZReason }))
    .mutation(({ ctx, input }) => setSuspended({ db: ctx.db, organizationId: input.organizationId, suspended: input.suspended, reason: input.reason, actor: { userId: ctx.session.userId } })),
  unfreeze: platformAdminProcedure
    .input(ZOrganization.extend({ reason: ZReason }))
    .mutation(({ ctx, input }) => unfreezePaidUsage({ db: ctx.db, organizationId: input.organizationId, reason: input.reason, actor: { userId: ctx.session.userId } })),
});

export const adminRouter = router({
  users: platformAdminProcedure.query(({ ctx }) =>
    ctx.db.user.findMany({ select: { id: true, email: true, name: true, role: true, createdAt: true }, orderBy: { createdAt: 'desc' }, take: 500 }),
  ),
  runners: platformAdminProcedure.query(({ ctx }) => ctx.db.runner.findMany({ orderBy: { createdAt: 'desc' } })),
  verifyAudit: platformAdminProcedure.mutation(({ ctx }) => verifyAuditChain({ db: ctx.db })),
  organizations: platformAdminProcedure.query(({ ctx }) =>
    ctx.db.organization.findMany({ select: { id: true, name: true, slug: true, personal: true, createdAt: true }, orderBy: { createdAt: 'desc' }, take: 500 }),
  ),
  quotas: quotasRouter,
  billing: billingAdminRouter,
});
