import { z } from 'zod';
import { projectProcedure, router } from '@/server/api/trpc';
import { createJob, ZCreateJobRequest } from '@/server/services/training/create-job';
import { cancelJob, getJob, jobCharge, jobCharges, listCheckpoints, listJobEvents, listJobs } from '@/server/services/training/manage-jobs';
import { toOpenAICheckpoint, toOpenAIEvent, toOpenAIJob } from '@/server/services/training/openai-shapes';
import { estimateJob } from '@/server/services/training/estimate-job';
import { trainingChoices } from '@/server/services/training/training-choices';
import { listContinuableModels } from '@/server/services/training/continuable-models';
import { deleteJob } from '@/server/services/training/delete-job';
import { trainingAvailability } from '@/server/services/platform/training-availability';

export const jobRouter = router({
  list: projectProcedure
    .input(
      z
        .object({
          after: z.string().nullish(),
          limit: z.number().int().min(1).max(100).default(20),
          status: z.enum(['validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled']).nullish(),
          model: z.string().max(300).nullish(),
          dataset: z.string().max(100).nullish(),
          search: z.string().max(200).nullish(),
        })
        .default({ limit: 20 }),
    )
    .query(async ({ ctx, input }) => {
      const { jobs, hasMore } = await listJobs({
        tenant: ctx.tenant,
        after: input.after,
        limit: input.limit,
        status: input.status ?? undefined,
        model: input.model ?? undefined,
        dataset: input.dataset ?? undefined,
        search: input.search ?? undefined,
      });
      const charges = await jobCharges({ tenant: ctx.tenant, jobs });
      const seconds = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null);
      return {
        jobs: jobs.map((j) => ({
          ...toOpenAIJob(j),
          progress: j.progress,
          rawId: j.id,
          started_at: seconds(j.startedAt),
          estimatedCost: j.estimatedCost?.toString() ?? null,
          charged: charges.get(j.id) ?? null,
        })),
        hasMore,
      };
    }),
  /** The job page's Slurm panel: what the scheduler reported, without the runner's read position. */
  get: projectProcedure.input(z.object({ id: z.string() })).query(async ({ ctx, input }) => {
    const job = await getJob({ tenant: ctx.tenant, id: input.id });
    const charged = await jobCharge({ tenant: ctx.tenant, job });
    return { ...toOpenAIJob(job), progress: job.progress, rawId: job.id, started_at: job.startedAt ? Math.floor(job.startedAt.getTime() / 1000) : null, estimatedCost: job.estimatedCost?.toString() ?? null, training: trainingChoices(job), charged, slurm: slurmView(job.slurm) };
  }),
  events: projectProcedure
    .input(z.object({ id: z.string(), afterSeq: z.number().int().min(0).max(2_147_483_647).nullish(), limit: z.number().int().min(1).max(1000).default(500) }))
    .query(async ({ ctx, input }) => {
      const { events, hasMore } = await listJobEvents({ tenant: ctx.tenant, id: input.id, after: input.afterSeq, limit: input.limit, order: 'asc', withLogs: true });
      return { events: events.map((e) => ({ ...toOpenAIEvent(e), seq: e.seq })), hasMore };
    }),
  checkpoints: projectProcedure.input(z.object({ id: z.string() })).query(async ({ ctx, input }) => {
    const { job, checkpoints } = await listCheckpoints({ tenant: ctx.tenant, id: input.id });
    return checkpoints.map((c) => toOpenAICheckpoint(c, job));
  }),
  estimate: projectProcedure
    .input(z.object({ model: z.string(), training_file: z.string(), hyperparameters: ZCreateJobRequest.shape.hyperparameters, preset: ZCreateJobRequest.shape.preset }))
    .query(({ ctx, input }) => estimateJob({ tenant: ctx.tenant, ...input })),
  /** The project's fine-tuned models a job can continue from. */
  continuable: projectProcedure.query(({ ctx }) => listContinuableModels({ tenant: ctx.tenant })),
  /** Whether the runners online can train, and if not why and the fix (the Jobs page's notice). */
  trainingStatus: projectProcedure.query(({ ctx }) => trainingAvailability({ db: ctx.db })),
  /** Deletes an ended job with the files only it used; its fine-tuned model stays. */
  delete: projectProcedure.input(z.object({ id: z.string() })).mutation(({ ctx, input }) => deleteJob({ tenant: ctx.tenant, db: ctx.db, id: input.id })),
  create: projectProcedure.input(ZCreateJobRequest).mutation(async ({ ctx, input }) => toOpenAIJob(await createJob({ tenant: ctx.tenant, db: ctx.db, input }))),
  cancel: projectProcedure.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => toOpenAIJob(await cancelJob({ tenant: ctx.tenant, db: ctx.db, id: input.id }))),
});

function slurmView(value: unknown): { jobId: string; partition: string | null; nodes: string | null; state: string } | null {
  if (!value || typeof value !== 'object') return null;
  const { jobId, partition, nodes, state } = value as Record<string, unknown>;
  if (typeof jobId !== 'string' || typeof state !== 'string') return null;
  return { jobId, partition: typeof partition === 'string' ? partition : null, nodes: typeof nodes === 'string' ? nodes : null, state };
}
