import { z } from 'zod';
import { orgAdminProcedure, router } from '@/server/api/trpc';

export const auditRouter = router({
  list: orgAdminProcedure.input(z.object({ beforeId: z.string().regex(/^\d+$/).nullish(), limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 })).query(async ({ ctx, input }) => {
    const rows = await ctx.tenant.db.auditLogEntry.findMany({
      where: input.beforeId ? { id: { lt: BigInt(input.beforeId) } } : {},
      orderBy: { id: 'desc' },
      take: input.limit,
    });
    return rows.map((r) => ({ id: r.id.toString(), action: r.action, targetType: r.targetType, targetId: r.targetId, actorUserId: r.actorUserId, actorApiKeyId: r.actorApiKeyId, data: r.data, createdAt: r.createdAt }));
  }),
});
