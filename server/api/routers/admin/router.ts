import { platformAdminProcedure, router } from '@/server/api/trpc';
import { verifyAuditChain } from '@/server/services/audit/verify-audit-chain';

export const adminRouter = router({
  users: platformAdminProcedure.query(({ ctx }) =>
    ctx.db.user.findMany({ select: { id: true, email: true, name: true, role: true, createdAt: true }, orderBy: { createdAt: 'desc' }, take: 500 }),
  ),
  runners: platformAdminProcedure.query(({ ctx }) => ctx.db.runner.findMany({ orderBy: { createdAt: 'desc' } })),
  verifyAudit: platformAdminProcedure.mutation(({ ctx }) => verifyAuditChain({ db: ctx.db })),
});
