// Evaluations of the caller's project (signed-in members and API keys alike, so the SDK can run
// them): thin procedures over server/services/evals.
import { z } from 'zod';
import { projectProcedure, router } from '@/server/api/trpc';
import { createEvalRun } from '@/server/services/evals/create-eval-run';
import { getEvalRun, listEvalRuns } from '@/server/services/evals/read-eval-runs';
import { ZCreateEvalRequest } from '@/lib/universal/evals';

export const evalsRouter = router({
  list: projectProcedure
    .input(z.object({ jobId: z.string().min(1).max(64).optional() }).optional())
    .query(({ ctx, input }) => listEvalRuns({ db: ctx.tenant.db, jobId: input?.jobId })),
  get: projectProcedure.input(z.object({ id: z.string().min(1).max(64) })).query(({ ctx, input }) => getEvalRun({ db: ctx.tenant.db, id: input.id })),
  create: projectProcedure.input(ZCreateEvalRequest).mutation(({ ctx, input }) => createEvalRun({ tenant: ctx.tenant, input })),
});
