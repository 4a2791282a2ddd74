// The safety net under job settlement: a reservation whose job has ended (or no longer exists)
// without a settlement would hold the organization's credits forever. The worker runs this
// periodically; every reservation it settles is logged, since each one means a job's end was not
// settled where it happened (a crash between the two, or a path that forgot).
import type { Db } from '@/server/db';
import { logger } from '@/server/logger';
import { settleJob } from '@/server/services/credits/ledger';
import { creditsForTokens } from '@/server/services/credits/price';
import { trainingPricePerMillion } from '@/lib/universal/price-book';
import { getPriceBook } from '@/server/services/billing/price-book';

export type ReleasedReservation = { jobId: string; organizationId: string; status: string | null; charged: string; released: string };

export type ReleaseStaleReservationsOptions = {
  db: Db;
  /** How long after a job ended its own settlement may still be on its way. */
  graceMs?: number;
  limit?: number;
};

type Stale = {
  jobId: string;
  organizationId: string;
  status: string | null;
  trainedTokens: bigint | null;
  runnerId: string | null;
  startedAt: Date | null;
  price: string | null;
  parameters: bigint | null;
  unitPrice: string | null;
};

/**
 * What the job's own end would have charged: the trained tokens of a job that succeeded or that a
 * runner stopped on cancel; nothing for a failure, a cancel before any runner ran it (its
 * trainedTokens is still the estimate), or a job that is gone.
 */
function chargedTokens(job: Stale): bigint {
  const ranOnRunner = job.startedAt !== null && job.runnerId !== null;
  if (job.status === 'succeeded' || (job.status === 'cancelled' && ranOnRunner)) return job.trainedTokens ?? 0n;
  return 0n;
}

export async function releaseStaleReservations({ db, graceMs = 10 * 60_000, limit = 100 }: ReleaseStaleReservationsOptions): Promise<ReleasedReservation[]> {
  const stale = await db.$queryRawUnsafe<Stale[]>(
    `SELECT r."jobId", r."organizationId", j.status::text AS status, j."trainedTokens", j."runnerId", j."startedAt", b."pricePerMillionTokens"::text AS price, b.parameters, r."unitPrice"::text AS "unitPrice"
       FROM "CreditLedgerEntry" r
       LEFT JOIN "TrainingJob" j ON j.id = r."jobId"
       LEFT JOIN "BaseModel" b ON b.id = j."baseModelId"
      WHERE r.kind = 'RESERVATION' AND r."jobId" IS NOT NULL
        AND (j.id IS NULL OR (j.status IN ('succeeded', 'failed', 'cancelled') AND j."finishedAt" < $1))
        AND NOT EXISTS (SELECT 1 FROM "CreditLedgerEntry" s WHERE s."idempotencyKey" = 'settle:' || r."jobId")
      ORDER BY r."createdAt"
      LIMIT $2`,
    new Date(Date.now() - graceMs),
    limit,
  );
  const released: ReleasedReservation[] = [];
  const book = await getPriceBook({ db });
  for (const job of stale) {
    // The price the job was reserved at, else the price book's price for its model now.
    const pricePerMillion = job.unitPrice ?? trainingPricePerMillion(book, { parameters: job.parameters, pricePerMillionTokens: job.price });
    const cost = creditsForTokens(chargedTokens(job), pricePerMillion);
    const entry = await settleJob({ db, organizationId: job.organizationId, jobId: job.jobId, actualCost: cost });
    const result = { jobId: job.jobId, organizationId: job.organizationId, status: job.status, charged: cost.toString(), released: entry.amount.toString() };
    logger.warn(result, 'settled the reservation of a job that had ended without a settlement');
    released.push(result);
  }
  return released;
}
