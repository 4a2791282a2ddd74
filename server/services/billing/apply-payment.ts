// Brings the ledger to match one Stripe payment. Webhooks only ever raise a payment's facts (paid,
// amount refunded, disputed), never lower them, and this writes the difference between what the
// ledger should hold for the payment and what it holds, under the organization's credit lock. So
// events converge to the same ledger in any order, and a replay writes nothing.
import { Prisma } from '@/server/generated/prisma/client';
import type { Tx } from '@/server/db';
import { lockOrganization } from '@/server/services/billing/credit-lock';
import { recordAudit } from '@/server/services/audit/record-audit';

export type AppliedPayment = { credited: string; refunded: string; froze: boolean };

const STRIPE_ACTOR = { userId: null };

export async function applyPayment(tx: Tx, paymentId: string): Promise<AppliedPayment> {
  const payment = await tx.stripePayment.findUnique({ where: { id: paymentId } });
  const applied: AppliedPayment = { credited: '0', refunded: '0', froze: false };
  if (!payment?.organizationId || !payment.credits || !payment.amount) return applied;
  const organizationId = payment.organizationId;
  await lockOrganization(tx, organizationId);
  // Audit entries are written last: the audit chain's lock is then held for the fewest statements.
  const audits: Parameters<typeof recordAudit>[1][] = [];

  if (payment.paidAt) {
    const key = `purchase:${payment.id}`;
    const existing = await tx.creditLedgerEntry.findUnique({ where: { idempotencyKey: key } });
    if (!existing) {
      const entry = await tx.creditLedgerEntry.create({
        data: { organizationId, kind: 'PURCHASE', amount: payment.credits, idempotencyKey: key, paymentId: payment.id, memo: payment.kind === 'AUTO_TOP_UP' ? `auto top-up: pack ${payment.packId}` : `purchased pack ${payment.packId}` },
      });
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
