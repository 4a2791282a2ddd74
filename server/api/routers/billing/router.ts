import { z } from 'zod';
import { projectProcedure, router } from '@/server/api/trpc';
import { getBalance } from '@/server/services/credits/credits';

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
});
