// The events of Lathe's own state changes, each called in one line from the one place its change
// happens: a job's end (services/training), a dataset's validation (services/datasets), a
// fine-tuned model's publication, a ledger entry that takes the balance under the low-credit mark
// (services/credits). Each passes the change's transaction where there is one, and a dedupe key
// that names the change, so a retried change sends nothing twice.
import { Prisma } from '@/server/generated/prisma/client';
import type { Db, Tx } from '@/server/db';
import { emitWebhookEvent } from './emit-webhook-event';

export type JobEnding = 'succeeded' | 'failed' | 'cancelled';

/** fine_tuning.job.succeeded|failed|cancelled, once per job. */
export async function emitJobEnded({ db, tx, jobId, status }: { db: Db; tx?: Tx; jobId: string; status: JobEnding }) {
  const job = await (tx ?? db).trainingJob.findUnique({ where: { id: jobId }, select: { organizationId: true, projectId: true, status: true, error: true, fineTunedModel: { select: { name: true } } } });
  if (!job || job.status !== status) return [];
  const error = job.error as { code?: string; message?: string } | null;
  return emitWebhookEvent({
    db,
    tx,
    organizationId: job.organizationId,
    projectId: job.projectId,
    type: `fine_tuning.job.${status}`,
    data: { id: `ftjob-${jobId}`, ...(status === 'succeeded' ? { fine_tuned_model: job.fineTunedModel?.name ?? null } : {}), ...(status === 'failed' && error ? { error: { code: error.code ?? null, message: error.message ?? null } } : {}) },
    dedupeKey: `fine_tuning.job.${status}:${jobId}`,
  });
}

/** dataset.validated for a valid dataset; dataset.failed for one with errors or one that could not be validated. */
export async function emitDatasetValidated({ db, tx, dataset, status }: { db: Db; tx?: Tx; dataset: { id: string; organizationId: string; projectId: string }; status: 'VALID' | 'INVALID' | 'FAILED' }) {
  const type = status === 'VALID' ? 'dataset.validated' : 'dataset.failed';
  return emitWebhookEvent({
    db,
    tx,
    organizationId: dataset.organizationId,
    projectId: dataset.projectId,
    type,
    data: { id: dataset.id, file_id: `file-${dataset.id}`, status: status.toLowerCase() },
    dedupeKey: `${type}:${dataset.id}`,
  });
}

/** model.ready when a fine-tuned model has been published and can be deployed or called. */
export async function emitModelReady({ db, tx, model }: { db: Db; tx?: Tx; model: { name: string; organizationId: string; projectId: string; jobId: string } }) {
  return emitWebhookEvent({
    db,
    tx,
    organizationId: model.organizationId,
    projectId: model.projectId,
    type: 'model.ready',
    data: { id: model.name, fine_tuning_job_id: `ftjob-${model.jobId}` },
    dedupeKey: `model.ready:${model.name}`,
  });
}

/** The balance under which credits.low is sent: LATHE_CREDITS_LOW_THRESHOLD credits, 100 by default. */
export function creditsLowThreshold(env: Record<string, string | undefined> = process.env): Prisma.Decimal {
  const value = Number(env.LATHE_CREDITS_LOW_THRESHOLD ?? 100);
  return new Prisma.Decimal(Number.isFinite(value) && value >= 0 ? value : 100);
}

/**
 * credits.low when the ledger entry just written took the balance from at or above the threshold
 * to under it. Called inside the entry's transaction, under the organization's credit lock, so
 * concurrent charges see each other and exactly one of them crosses. `change` is what the entry
 * completes: a job's settlement releases part of its reservation, and the job as a whole changed
 * the balance by minus its actual cost, which is what is compared (the reservation alone is a hold).
 */
export async function emitCreditsLowIfCrossed({ db, tx, entry, change = entry.amount }: { db: Db; tx: Tx; entry: { id: string; organizationId: string; amount: Prisma.Decimal }; change?: Prisma.Decimal }) {
  if (change.gte(0)) return [];
  const threshold = creditsLowThreshold();
  const { _sum } = await tx.creditLedgerEntry.aggregate({ where: { organizationId: entry.organizationId }, _sum: { amount: true } });
  const after = _sum.amount ?? new Prisma.Decimal(0);
  const before = after.minus(change);
  if (!(before.gte(threshold) && after.lt(threshold))) return [];
  return emitWebhookEvent({
    db,
    tx,
    organizationId: entry.organizationId,
    projectId: null,
    type: 'credits.low',
    data: { id: entry.organizationId, balance: after.toDecimalPlaces(6).toNumber(), threshold: threshold.toNumber() },
    dedupeKey: `credits.low:${entry.id}`,
  });
}
