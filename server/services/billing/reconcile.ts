// Compares the Stripe payments Lathe recorded from webhooks (and from auto top-up answers) with the
// ledger's purchases and refunds, and lists every difference. Nothing is changed.
import { Prisma } from '@/server/generated/prisma/client';
import type { Db } from '@/server/db';

export type ReconcileDifference = { paymentId: string; organizationId: string | null; problem: string; expected: string; actual: string };

export async function reconcilePayments({ db }: { db: Db }): Promise<{ payments: number; differences: ReconcileDifference[] }> {
  const payments = await db.stripePayment.findMany({ orderBy: { createdAt: 'asc' } });
  const entries = await db.creditLedgerEntry.findMany({ where: { OR: [{ kind: { in: ['PURCHASE', 'REFUND'] } }, { paymentId: { not: null } }] }, select: { paymentId: true, kind: true, amount: true, organizationId: true, id: true } });
  const byPayment = new Map<string, typeof entries>();
  for (const e of entries) {
    const list = byPayment.get(e.paymentId ?? `entry:${e.id}`) ?? [];
    list.push(e);
    byPayment.set(e.paymentId ?? `entry:${e.id}`, list);
  }
  const zero = new Prisma.Decimal(0);
  const differences: ReconcileDifference[] = [];
  const known = new Set<string>();
  for (const p of payments) {
    known.add(p.id);
    const own = byPayment.get(p.id) ?? [];
    const purchased = own.filter((e) => e.kind === 'PURCHASE').reduce((s, e) => s.plus(e.amount), zero);
    const refunded = own.filter((e) => e.kind === 'REFUND').reduce((s, e) => s.plus(e.amount), zero).neg();
    const paid = Boolean(p.paidAt && p.organizationId && p.credits && p.amount);
    const expectPurchase = paid ? p.credits! : zero;
    const expectRefund = paid ? p.credits!.mul(Math.min(p.amountRefunded, p.amount!)).div(p.amount!).toDecimalPlaces(6, Prisma.Decimal.ROUND_UP) : zero;
    if (!purchased.eq(expectPurchase)) differences.push({ paymentId: p.id, organizationId: p.organizationId, problem: paid ? 'paid but not credited as recorded' : 'credited but not recorded as paid', expected: expectPurchase.toString(), actual: purchased.toString() });
    if (!refunded.eq(expectRefund)) differences.push({ paymentId: p.id, organizationId: p.organizationId, problem: 'refund not matched in the ledger', expected: expectRefund.toString(), actual: refunded.toString() });
    if (!p.organizationId && (p.amountRefunded > 0 || p.disputedAt)) differences.push({ paymentId: p.id, organizationId: null, problem: 'refund or dispute for a payment whose purchase event has not arrived', expected: 'a checkout.session.completed', actual: 'none' });
  }
  for (const [paymentId, list] of byPayment) {
    if (known.has(paymentId)) continue;
    for (const e of list.filter((x) => x.kind === 'PURCHASE')) {
      differences.push({ paymentId, organizationId: e.organizationId, problem: 'ledger purchase with no recorded Stripe payment', expected: '0', actual: e.amount.toString() });
    }
  }
  return { payments: payments.length, differences };
}
