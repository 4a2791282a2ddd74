import type { Db } from '@/server/db';
import type { TenantContext } from '@/server/db/tenant';
import { LatheError, notFound } from '@/server/services/errors';
import { recordAudit } from '@/server/services/audit/record-audit';
import { appendJobEvents, nextEventSeq, notifyJob } from '@/server/services/training/job-events';
import { fromApiFileId, fromApiJobId } from '@/server/services/training/openai-shapes';
import { jobInclude } from '@/server/services/training/create-job';
import { settleJob } from '@/server/services/credits/ledger';
import { markCancelled, requestCancel } from '@/server/services/training/job-transitions';
import { emitJobEnded } from '@/server/services/webhooks/domain-events';
import { mailJobEnded } from '@/server/services/training/job-end-mail';

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

export async function getJob({ tenant, id }: { tenant: TenantContext; id: string }) {
  const job = await tenant.db.trainingJob.findUnique({ where: { id: fromApiJobId(id) }, include: jobInclude });
  if (!job) throw new LatheError('NOT_FOUND', `Fine-tuning job '${id}' not found.`, { param: 'fine_tuning_job_id' });
  return job;
}

export type JobListFilter = {
  status?: string;
  /** A base model's name. */
  model?: string;
  /** A dataset (`file-…` or its raw id), as training or validation file. */
  dataset?: string;
  /** Part of the suffix (any case) or of the job id. */
  search?: string;
};

/** Newest first, cursor = the id of the last job of the previous page (OpenAI's `after`). */
export async function listJobs({ tenant, after, limit = 20, status, model, dataset, search }: { tenant: TenantContext; after?: string | null; limit?: number } & JobListFilter) {
  const datasetId = dataset ? fromApiFileId(dataset) : null;
  const term = search?.trim();
  const cursor = after ? await tenant.db.trainingJob.findUnique({ where: { id: fromApiJobId(after) }, select: { id: true, createdAt: true } }) : null;
  if (after && !cursor) throw notFound(`Fine-tuning job '${after}'`);
  const rows = await tenant.db.trainingJob.findMany({
    where: {
      ...(status ? { status: status as never } : {}),
      ...(model ? { baseModel: { name: model } } : {}),
      AND: [
        ...(cursor ? [{ OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }] }] : []),
        ...(datasetId ? [{ OR: [{ trainingDatasetId: datasetId }, { validationDatasetId: datasetId }] }] : []),
        ...(term ? [{ OR: [{ suffix: { contains: term, mode: 'insensitive' as const } }, { id: { contains: fromApiJobId(term.toLowerCase()) } }] }] : []),
      ],
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    include: jobInclude,
  });
  return { jobs: rows.slice(0, limit), hasMore: rows.length > limit };
}

export async function listJobEvents({ tenant, id, after, limit = 20, order = 'desc', withLogs = false }: { tenant: TenantContext; id: string; after?: number | null; limit?: number; order?: 'asc' | 'desc'; withLogs?: boolean }) {
  const job = await getJob({ tenant, id });
  const rows = await tenant.db.jobEvent.findMany({
    // The trainer's log lines are the job page's; OpenAI's event list has no such type.
    where: { jobId: job.id, ...(withLogs ? {} : { type: { not: 'log' } }), ...(after != null ? { seq: order === 'desc' ? { lt: after } : { gt: after } } : {}) },
    orderBy: { seq: order },
    take: limit + 1,
  });
  return { job, events: rows.slice(0, limit), hasMore: rows.length > limit };
}

/**
 * What a job in a final state cost: the credits its ledger entries took, reservation and
 * settlement together, at the ledger's precision (a decimal string). Null while the job can still
 * change it, when only its estimate is known.
 */
export async function jobCharge({ tenant, job }: { tenant: TenantContext; job: { id: string; status: string } }): Promise<string | null> {
  if (!FINAL.has(job.status)) return null;
  const { _sum } = await tenant.db.creditLedgerEntry.aggregate({ where: { jobId: job.id }, _sum: { amount: true } });
  return _sum.amount ? _sum.amount.neg().toFixed() : '0';
}

/** What each ended job of a page cost, from the ledger (see jobCharge), by raw job id. */
export async function jobCharges({ tenant, jobs }: { tenant: TenantContext; jobs: ReadonlyArray<{ id: string; status: string }> }): Promise<Map<string, string>> {
  const ended = jobs.filter((j) => FINAL.has(j.status)).map((j) => j.id);
  if (ended.length === 0) return new Map();
  const sums = await tenant.db.creditLedgerEntry.groupBy({ by: ['jobId'], where: { jobId: { in: ended } }, _sum: { amount: true } });
  const charged = new Map(sums.map((s) => [s.jobId!, s._sum.amount ? s._sum.amount.neg().toFixed() : '0']));
  return new Map(ended.map((id) => [id, charged.get(id) ?? '0']));
}

export async function listCheckpoints({ tenant, id }: { tenant: TenantContext; id: string }) {
  const job = await getJob({ tenant, id });
  const checkpoints = await tenant.db.checkpoint.findMany({ where: { jobId: job.id }, orderBy: { step: 'desc' } });
  return { job, checkpoints };
}

/**
 * Cancels a job. Not yet running: cancelled at once and its reservation released. Running: the
 * runner sees the request within seconds, stops the trainer (which checkpoints), and settles
 * the steps completed.
 */
export async function cancelJob({ tenant, db, id }: { tenant: TenantContext; db: Db; id: string }) {
  const job = await getJob({ tenant, id });
  if (FINAL.has(job.status)) throw new LatheError('BAD_REQUEST', `The job is already ${job.status} and cannot be cancelled.`, { reason: 'job_finished' });
  const now = new Date();
  if (job.status === 'running') {
    await tenant.db.$transaction(async (tx) => {
      if (await requestCancel(tx, job.id, now)) {
        await recordAudit(tx, { organizationId: job.organizationId, actor: tenant.actor, action: 'job.cancel.request', targetType: 'TrainingJob', targetId: job.id });
      }
    });
  } else if (await markCancelled(tenant.db, job.id, now)) {
    await db.$transaction((tx) =>
      recordAudit(tx, { organizationId: job.organizationId, actor: tenant.actor, action: 'job.cancel', targetType: 'TrainingJob', targetId: job.id }),
    );
    await settleJob({ db, organizationId: job.organizationId, jobId: job.id, actualCost: 0 });
    await appendJobEvents({ db, jobId: job.id, events: [{ seq: await nextEventSeq(db, job.id), message: 'Job cancelled before it started.' }] });
    await emitJobEnded({ db, jobId: job.id, status: 'cancelled' });
    await mailJobEnded({ db, jobId: job.id });
  }
  await notifyJob(db, { jobId: job.id, status: 'cancel' });
  return getJob({ tenant, id: job.id });
}
