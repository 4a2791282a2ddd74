import { z } from 'zod';
import { platformAdminProcedure, router } from '@/server/api/trpc';
import { verifyAuditChain } from '@/server/services/audit/verify-audit-chain';
import { getOrganizationQuotas, setOrganizationQuotas, ZQuotaOverrides } from '@/server/services/quotas/manage-quotas';

const ZOrganization = z.object({ organizationId: z.string().min(1).max(64) });

/** Each organization's limits: what applies, what the administrator set, the defaults and the usage. */
const quotasRouter = router({
  get: platformAdminProcedure.input(ZOrganization).query(({ ctx, input }) => getOrganizationQuotas({ db: ctx.db, organizationId: input.organizationId })),
  set: platformAdminProcedure
    .input(ZQuotaOverrides.extend(ZOrganization.shape))
    .mutation(({ ctx, input: { organizationId, ...overrides } }) => setOrganizationQuotas({ db: ctx.db, organizationId, overrides, actor: { userId: ctx.session.userId } })),
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
});
