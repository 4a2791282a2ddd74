// payment_intent.succeeded / .payment_failed. Auto top-ups carry metadata.lathe_kind=auto_top_up;
// a Checkout payment's intent carries the same organization and pack, so whichever of its events
// lands first credits it (the ledger key is the intent's id either way).
import type { Tx } from '@/server/db';
import { packCredits } from '@/lib/universal/price-book';
import { getPriceBook } from '@/server/services/billing/price-book';
import { applyPayment, recordPackPayment } from '@/server/services/billing/apply-payment';
import { turnOffAutoTopUp } from '@/server/services/billing/auto-top-up';
import { checkedPack, RefusedEvent } from './refused';
import { ZPaymentIntent, type TPaymentIntent } from './schemas';
import type { EventOutcome } from './outcome';

export async function paymentIntentSucceeded(tx: Tx, raw: Record<string, unknown>): Promise<EventOutcome> {
  const intent = ZPaymentIntent.parse(raw);
  const organizationId = intent.metadata.organization_id;
  if (!organizationId) return { organizationId: null, detail: 'no Lathe organization in its metadata: not a Lathe payment' };
  const pack = checkedPack(await getPriceBook({ db: tx }), intent.metadata.pack, intent.amount, intent.currency);
  const kind = intent.metadata.lathe_kind === 'auto_top_up' ? ('AUTO_TOP_UP' as const) : ('CHECKOUT' as const);
  const payment = await recordPackPayment(tx, intent.id, { organizationId, kind, packId: pack.id, credits: packCredits(pack), amount: pack.amount, currency: pack.currency }, { paid: true, keepKind: true });
  if (!payment) throw new RefusedEvent(`unknown organization ${organizationId}`);
  if (kind === 'AUTO_TOP_UP') {
    await tx.billingAccount.updateMany({ where: { organizationId, autoTopUpPendingKey: intent.metadata.idempotency_key ?? '' }, data: { autoTopUpPendingKey: null } });
  }
  const applied = await applyPayment(tx, payment);
  return { organizationId, detail: `payment ${intent.id} paid, credited ${applied.credited}` };
}

export async function paymentIntentFailed(tx: Tx, raw: Record<string, unknown>): Promise<EventOutcome> {
  const intent = ZPaymentIntent.parse(raw);
  const organizationId = intent.metadata.organization_id ?? null;
  if (!organizationId || intent.metadata.lathe_kind !== 'auto_top_up') return { organizationId, detail: 'not an auto top-up: nothing to do' };
  const existing = await tx.stripePayment.findUnique({ where: { id: intent.id } });
  if (existing?.paidAt) return { organizationId, detail: `payment ${intent.id} already succeeded` };
  const reason = intent.last_payment_error?.message ?? 'The saved payment method was declined.';
  await tx.stripePayment.upsert({
    where: { id: intent.id },
    create: { id: intent.id, organizationId, kind: 'AUTO_TOP_UP', packId: intent.metadata.pack ?? null, amount: intent.amount, currency: intent.currency, failedAt: new Date(), failureReason: reason },
    update: { failedAt: new Date(), failureReason: reason },
  });
  const after = await turnOffAutoTopUp(tx, { organizationId, reason, pendingKey: intent.metadata.idempotency_key ?? null });
  return { organizationId, detail: `auto top-up ${intent.id} failed: ${reason}`, after: after ?? undefined };
}
