// payment_intent.succeeded / .payment_failed. Auto top-ups carry metadata.lathe_kind=auto_top_up;
// a Checkout payment's intent carries the same organization and pack, so whichever of its events
// lands first credits it (the ledger key is the intent's id either way).
import type { Tx } from '@/server/db';
import { findPack, packCredits } from '@/lib/universal/price-book';
import { getPriceBook } from '@/server/services/billing/price-book';
import { applyPayment } from '@/server/services/billing/apply-payment';
import { turnOffAutoTopUp } from '@/server/services/billing/auto-top-up';
import { RefusedEvent } from './refused';
import { ZPaymentIntent, type TPaymentIntent } from './schemas';
import type { EventOutcome } from './outcome';

async function paymentFacts(tx: Tx, intent: TPaymentIntent) {
  const organizationId = intent.metadata.organization_id;
  if (!organizationId) return null;
  if (!(await tx.organization.findUnique({ where: { id: organizationId }, select: { id: true } }))) throw new RefusedEvent(`unknown organization ${organizationId}`);
  const pack = intent.metadata.pack ? findPack(await getPriceBook({ db: tx }), intent.metadata.pack) : undefined;
  if (!pack) throw new RefusedEvent(`unknown pack ${intent.metadata.pack ?? '(none)'}`);
  if (intent.amount !== pack.amount || intent.currency.toLowerCase() !== pack.currency) throw new RefusedEvent(`amount ${intent.amount} ${intent.currency} does not match pack ${pack.id} (${pack.amount} ${pack.currency})`);
  return { organizationId, kind: intent.metadata.lathe_kind === 'auto_top_up' ? ('AUTO_TOP_UP' as const) : ('CHECKOUT' as const), packId: pack.id, credits: packCredits(pack), amount: pack.amount, currency: pack.currency };
}

export async function paymentIntentSucceeded(tx: Tx, raw: Record<string, unknown>): Promise<EventOutcome> {
  const intent = ZPaymentIntent.parse(raw);
  const facts = await paymentFacts(tx, intent);
  if (!facts) return { organizationId: null, detail: 'no Lathe organization in its metadata: not a Lathe payment' };
  const existing = await tx.stripePayment.findUnique({ where: { id: intent.id } });
  const paidAt = existing?.paidAt ?? new Date();
  await tx.stripePayment.upsert({ where: { id: intent.id }, create: { id: intent.id, ...facts, paidAt }, update: { ...facts, kind: existing?.kind ?? facts.kind, paidAt } });
  if (facts.kind === 'AUTO_TOP_UP') {
    await tx.billingAccount.updateMany({ where: { organizationId: facts.organizationId, autoTopUpPendingKey: intent.metadata.idempotency_key ?? '' }, data: { autoTopUpPendingKey: null } });
  }
  const applied = await applyPayment(tx, intent.id);
  return { organizationId: facts.organizationId, detail: `payment ${intent.id} paid, credited ${applied.credited}` };
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
