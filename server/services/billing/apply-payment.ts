// Brings the ledger to match one Stripe payment. Webhooks only ever raise a payment's facts (paid,
// amount refunded, disputed), never lower them, and this writes the difference between what the
// ledger should hold for the payment and what it holds, under the organization's credit lock. So
// events converge to the same ledger in any order, and a replay writes nothing.
import { Prisma, type StripePayment } from '@/server/generated/prisma/client';
import type { Tx } from '@/server/db';
import { lockOrganization } from '@/server/services/billing/credit-lock';
import { recordAudit } from '@/server/services/audit/record-audit';

export type AppliedPayment = { credited: string; refunded: string; froze: boolean };

const STRIPE_ACTOR = { userId: null };

/** What an event says about the pack a payment buys. */
export type PackPaymentFacts = { organizationId: string; kind: 'CHECKOUT' | 'AUTO_TOP_UP'; checkoutSessionId?: string | null; packId: string; credits: number; amount: number; currency: string };

// Only raises facts: a payment once paid stays paid (its first paidAt is kept), and a failure is
// recorded only while it is unpaid. A payment recorded by an earlier event keeps its kind when
// `keepKind` is set. The organization must exist: for an unknown one nothing is written.
const RECORD_PACK_PAYMENT_SQL = `INSERT INTO "StripePayment" ("id","organizationId","kind","checkoutSessionId","packId","credits","amount","currency","paidAt","failedAt","updatedAt")
  SELECT $1, "id", $2::"StripePaymentKind", $3, $4, $5::numeric, $6, $7, $8, $9, now() FROM "Organization" WHERE "id" = $10
  ON CONFLICT ("id") DO UPDATE SET
    "organizationId" = EXCLUDED."organizationId",
    "kind" = CASE WHEN $11 THEN "StripePayment"."kind" ELSE EXCLUDED."kind" END,
    "checkoutSessionId" = COALESCE(EXCLUDED."checkoutSessionId", "StripePayment"."checkoutSessionId"),
    "packId" = EXCLUDED."packId", "credits" = EXCLUDED."credits", "amount" = EXCLUDED."amount", "currency" = EXCLUDED."currency",
    "paidAt" = COALESCE("StripePayment"."paidAt", EXCLUDED."paidAt"),
    "failedAt" = CASE WHEN EXCLUDED."failedAt" IS NOT NULL AND COALESCE("StripePayment"."paidAt", EXCLUDED."paidAt") IS NULL THEN EXCLUDED."failedAt" ELSE "StripePayment"."failedAt" END,
    "updatedAt" = now()
  RETURNING *`;

/**
 * Records a pack payment's facts from one event in one statement (it also checks the organization)
 * and returns the payment, or null when the organization does not exist.
 */
export async function recordPackPayment(tx: Tx, paymentId: string, facts: PackPaymentFacts, { paid, keepKind = false }: { paid: boolean | 'failed'; keepKind?: boolean }): Promise<StripePayment | null> {
  const now = new Date();
  const rows = await tx.$queryRawUnsafe<StripePayment[]>(
    RECORD_PACK_PAYMENT_SQL,
    paymentId,
    facts.kind,
    facts.checkoutSessionId ?? null,
    facts.packId,
    String(facts.credits),
    facts.amount,
    facts.currency,
    paid === true ? now : null,
    paid === 'failed' ? now : null,
    facts.organizationId,
    keepKind,
  );
  const row = rows[0];
  return row ? { ...row, credits: row.credits === null ? null : new Prisma.Decimal(row.credits) } : null;
}

/** Writes what the ledger lacks for the payment (given, or looked up by its id). */
export async function applyPayment(tx: Tx, paymentOrId: string | StripePayment): Promise<AppliedPayment> {
  const payment = typeof paymentOrId === 'string' ? await tx.stripePayment.findUnique({ where: { id: paymentOrId } }) : paymentOrId;
  const applied: AppliedPayment = { credited: '0', refunded: '0', froze: false };
  if (!payment?.organizationId || !payment.credits || !payment.amount) return applied;
  const organizationId = payment.organizationId;
  await lockOrganization(tx, organizationId);
  // Audit entries are written last: the audit chain's lock is then held for the fewest statements.
  const audits: Parameters<typeof recordAudit>[1][] = [];

  if (payment.paidAt) {
    // Written once by its key: an entry already there makes this a no-op.
    const [entry] = await tx.creditLedgerEntry.createManyAndReturn({
      data: [{ organizationId, kind: 'PURCHASE', amount: payment.credits, idempotencyKey: `purchase:${payment.id}`, paymentId: payment.id, memo: payment.kind === 'AUTO_TOP_UP' ? `auto top-up: pack ${payment.packId}` : `purchased pack ${payment.packId}` }],
      skipDuplicates: true,
      select: { id: true },
    });
    if (entry) {
      audits.push({ organizationId, actor: STRIPE_ACTOR, action: 'credits.purchase', targetType: 'CreditLedgerEntry', targetId: entry.id, data: { amount: payment.credits.toString(), paymentId: payment.id, pack: payment.packId, paid: payment.amount, currency: payment.currency } });
      applied.credited = payment.credits.toString();
    }

    // The refunded share of the credits, to the ledger's precision; a refund larger than the balance
    // leaves it negative. The amount refunded only grows, so with none there is nothing to look up.
    const share = Math.min(payment.amountRefunded, payment.amount);
    const target = payment.credits.mul(share).div(payment.amount).toDecimalPlaces(6, Prisma.Decimal.ROUND_UP);
    const already =
      share === 0 ? new Prisma.Decimal(0) : ((await tx.creditLedgerEntry.aggregate({ where: { paymentId: payment.id, kind: 'REFUND' }, _sum: { amount: true } }))._sum.amount ?? new Prisma.Decimal(0)).neg();
    const delta = target.minus(already);
    if (delta.gt(0)) {
      const entry = await tx.creditLedgerEntry.create({
        data: { organizationId, kind: 'REFUND', amount: delta.neg(), idempotencyKey: `refund:${payment.id}:${share}`, paymentId: payment.id, memo: `refund of ${share} of ${payment.amount} ${payment.currency ?? ''} paid for pack ${payment.packId}`.trim() },
      });
      audits.push({ organizationId, actor: STRIPE_ACTOR, action: 'credits.refund', targetType: 'CreditLedgerEntry', targetId: entry.id, data: { amount: delta.neg().toString(), paymentId: payment.id, refunded: share } });
      applied.refunded = delta.toString();
    }
  }

  if (payment.disputedAt) {
    const account = await tx.billingAccount.findUnique({ where: { organizationId } });
    if (!account?.paidUsageFrozenAt) {
      const reason = `A payment of ${payment.amount} ${payment.currency ?? ''} is disputed.`.replace(' .', '.');
      await tx.billingAccount.upsert({ where: { organizationId }, create: { organizationId, paidUsageFrozenAt: new Date(), paidUsageFrozenReason: reason }, update: { paidUsageFrozenAt: new Date(), paidUsageFrozenReason: reason } });
      audits.push({ organizationId, actor: STRIPE_ACTOR, action: 'billing.freeze', targetType: 'Organization', targetId: organizationId, data: { paymentId: payment.id, reason } });
      applied.froze = true;
    }
  }
  for (const audit of audits) await recordAudit(tx, audit);
  return applied;
}
