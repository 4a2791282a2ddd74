// Reservations and settlements on the append-only credit ledger. A job reserves its estimated
// cost when it is queued and settles to what it actually used when it ends; every write carries
// an idempotency key, so a retried settlement is a no-op, and a per-organization advisory lock
// makes concurrent charges see each other, so they cannot overdraw the balance.
import { Prisma } from '@/server/generated/prisma/client';
import { isUniqueViolation } from '@/server/db/errors';
import type { Db, Tx } from '@/server/db';
import { LatheError } from '@/server/services/errors';
import { recordAudit, type AuditActor } from '@/server/services/audit/record-audit';
import { emitCreditsLowIfCrossed } from '@/server/services/webhooks/domain-events';
import { creditsForTokens, type TokenCount } from '@/server/services/credits/price';
import { lockOrganization } from '@/server/services/billing/credit-lock';
import { afterCharge } from '@/server/services/credits/after-charge';
import { assertCanSpend } from '@/server/services/billing/spend-controls';

type Decimalish = Prisma.Decimal | number | string;
const D = (v: Decimalish) => new Prisma.Decimal(v);
// Charges of one organization queue on its lock; under a burst they wait for a pool connection
// longer than Prisma's 2 s default, and that wait is not a failure.
const QUEUED = { maxWait: 30_000, timeout: 30_000 };

export { lockOrganization };

async function balanceIn(tx: Tx, organizationId: string) {
  const { _sum } = await tx.creditLedgerEntry.aggregate({ where: { organizationId }, _sum: { amount: true } });
  return _sum.amount ?? D(0);
}

export type ReserveOptions = {
  db: Db;
  organizationId: string;
  jobId: string;
  amount: Decimalish;
  actor: AuditActor;
  tx?: Tx;
  /** Credits per 1M tokens the amount was priced at; the settlement charges the same price. */
  unitPrice?: Decimalish;
};

/** Holds `amount` credits for a job. Not enough credits: PAYMENT_REQUIRED, and nothing is written. */
export async function reserveForJob({ db, organizationId, jobId, amount, actor, tx, unitPrice }: ReserveOptions) {
  const value = D(amount);
  const run = async (t: Tx) => {
    await lockOrganization(t, organizationId);
    const existing = await t.creditLedgerEntry.findUnique({ where: { idempotencyKey: `reserve:${jobId}` } });
    if (existing) return existing;
    const balance = await balanceIn(t, organizationId);
    if (balance.lt(value)) {
      throw new LatheError(
        'PAYMENT_REQUIRED',
        `Not enough credits: this job is estimated at ${value.toDecimalPlaces(6).toFixed()} credits and the balance is ${balance.toDecimalPlaces(6).toFixed()}. Add credits or train on fewer tokens.`,
        { reason: 'insufficient_credits' },
      );
    }
    const entry = await t.creditLedgerEntry.create({
      data: { organizationId, kind: 'RESERVATION', amount: value.neg(), idempotencyKey: `reserve:${jobId}`, jobId, memo: 'reserved for fine-tuning job', unitPrice: unitPrice === undefined ? null : D(unitPrice) },
    });
    await recordAudit(t, { organizationId, actor, action: 'credits.reserve', targetType: 'TrainingJob', targetId: jobId, data: { amount: value.toString() } });
    return entry;
  };
  return tx ? run(tx) : db.$transaction(run, QUEUED);
}

/** Tokens to charge at the reservation's price, or at `pricePerMillion` when the reservation recorded none. */
export type TokenCharge = { tokens: TokenCount; pricePerMillion: Decimalish };

export type SettleOptions = { db: Db; organizationId: string; jobId: string; actualCost: Decimalish | TokenCharge; actor?: AuditActor; tx?: Tx };

function isTokenCharge(cost: Decimalish | TokenCharge): cost is TokenCharge {
  return typeof cost === 'object' && cost !== null && 'tokens' in cost;
}

/**
 * Releases the part of the job's reservation it did not use (or charges the difference when it
 * used more). Runs once per job: a second call finds the settlement and returns it unchanged. With
 * `tx` it runs inside the caller's transaction, so the job's final status and its settlement are
 * seen together.
 */
export async function settleJob({ db, organizationId, jobId, actualCost, actor = {}, tx: outer }: SettleOptions) {
  const run = async (tx: Tx) => {
    await lockOrganization(tx, organizationId);
    const done = await tx.creditLedgerEntry.findUnique({ where: { idempotencyKey: `settle:${jobId}` } });
    if (done) return done;
    const reservation = await tx.creditLedgerEntry.findUnique({ where: { idempotencyKey: `reserve:${jobId}` } });
    const reserved = reservation ? reservation.amount.neg() : D(0);
    const cost = isTokenCharge(actualCost) ? creditsForTokens(actualCost.tokens, reservation?.unitPrice ?? actualCost.pricePerMillion) : D(actualCost);
    const release = reserved.minus(cost);
    const entry = await tx.creditLedgerEntry.create({
      data: {
        organizationId,
        kind: 'SETTLEMENT',
        amount: release,
        idempotencyKey: `settle:${jobId}`,
        jobId,
        memo: `job charged ${cost.toDecimalPlaces(6)} of ${reserved.toDecimalPlaces(6)} reserved`,
      },
    });
    await emitCreditsLowIfCrossed({ db, tx, entry, change: cost.neg() });
    await recordAudit(tx, { organizationId, actor, action: 'credits.settle', targetType: 'TrainingJob', targetId: jobId, data: { charged: cost.toString(), released: release.toString() } });
    return entry;
  };
  // Inside the caller's transaction, the caller runs afterCharge once it commits.
  if (outer) return run(outer);
  try {
    const entry = await db.$transaction(run, QUEUED);
    await afterCharge({ db, organizationId });
    return entry;
  } catch (error) {
    if (isUniqueViolation(error)) return db.creditLedgerEntry.findUniqueOrThrow({ where: { idempotencyKey: `settle:${jobId}` } });
    throw error;
  }
}

/** Settles a job's reservation with nothing charged; a job that reserved nothing gets no entry. */
export async function releaseReservation({ db, jobId }: { db: Db; jobId: string }) {
  const reservation = await db.creditLedgerEntry.findUnique({ where: { idempotencyKey: `reserve:${jobId}` }, select: { organizationId: true } });
  return reservation ? settleJob({ db, organizationId: reservation.organizationId, jobId, actualCost: 0 }) : null;
}

export type ChargeUsageOptions = {
  db: Db;
  organizationId: string;
  amount: Decimalish;
  idempotencyKey: string;
  memo: string;
  apiKeyId?: string | null;
  deploymentId?: string | null;
  /** An audit entry written in the charge's transaction (the entry's id is its target). */
  audit?: { action: string; data: Record<string, unknown> };
};

/** Charges metered usage (inference, deployment hours). Idempotent per key. */
export async function chargeUsage({ db, organizationId, amount, idempotencyKey, memo, apiKeyId = null, deploymentId = null, audit }: ChargeUsageOptions) {
  const value = D(amount);
  if (value.lte(0)) return null;
  try {
    const entry = await db.$transaction(async (tx) => {
      await lockOrganization(tx, organizationId);
      const entry = await tx.creditLedgerEntry.create({ data: { organizationId, kind: 'USAGE', amount: value.neg(), idempotencyKey, memo, apiKeyId, deploymentId } });
      if (audit) {
        await recordAudit(tx, { organizationId, actor: {}, action: audit.action, targetType: 'CreditLedgerEntry', targetId: entry.id, data: { amount: entry.amount.toString(), ...audit.data } });
      }
      await emitCreditsLowIfCrossed({ db, tx, entry });
      return entry;
    }, QUEUED);
    await afterCharge({ db, organizationId, apiKeyId });
    return entry;
  } catch (error) {
    if (isUniqueViolation(error)) return db.creditLedgerEntry.findUnique({ where: { idempotencyKey } });
    throw error;
  }
}

/**
 * Checked before paid work: PAYMENT_REQUIRED when the organization has no credits left, its paid
 * usage is frozen, or its (or the key's) monthly spending cap is reached; FORBIDDEN when suspended.
 */
export async function assertHasCredits({ db, organizationId, apiKeyId = null }: { db: Db; organizationId: string; apiKeyId?: string | null }) {
  await assertCanSpend({ db, organizationId, apiKeyId });
}
