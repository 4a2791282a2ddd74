// checkout.session.completed, .async_payment_succeeded and .async_payment_failed: a pack bought
// through Checkout. The session names the organization twice (client_reference_id and
// metadata.organization_id) and the pack (metadata.pack); its amount and currency must be the pack's.
import type { Tx } from '@/server/db';
import { packCredits } from '@/lib/universal/price-book';
import { getPriceBook } from '@/server/services/billing/price-book';
import { applyPayment, recordPackPayment } from '@/server/services/billing/apply-payment';
import { checkedPack, RefusedEvent } from './refused';
import { ZCheckoutSession, type TCheckoutSession } from './schemas';
import type { EventOutcome } from './outcome';

/** Records the session's payment (raising only) and brings the ledger to match it. */
export async function recordCheckoutPayment(tx: Tx, raw: Record<string, unknown>, paid: boolean | 'failed'): Promise<EventOutcome> {
  const session: TCheckoutSession = ZCheckoutSession.parse(raw);
  const organizationId = session.metadata.organization_id ?? null;
  if (!organizationId) throw new RefusedEvent('metadata.organization_id is missing');
  if (session.client_reference_id && session.client_reference_id !== organizationId) throw new RefusedEvent(`client_reference_id ${session.client_reference_id} does not match metadata.organization_id ${organizationId}`);
  const pack = checkedPack(await getPriceBook({ db: tx }), session.metadata.pack, session.amount_total, session.currency);
  const paymentId = session.payment_intent ?? session.id;
  const payment = await recordPackPayment(tx, paymentId, { organizationId, kind: 'CHECKOUT', checkoutSessionId: session.id, packId: pack.id, credits: packCredits(pack), amount: pack.amount, currency: pack.currency }, { paid });
  if (!payment) throw new RefusedEvent(`unknown organization ${organizationId}`);
  if (session.customer) {
    await tx.billingAccount.upsert({ where: { organizationId }, create: { organizationId, stripeCustomerId: session.customer }, update: {} });
  }
  const applied = await applyPayment(tx, payment);
  return { organizationId, detail: `payment ${paymentId}: ${paid === true ? 'paid' : paid === 'failed' ? 'failed' : 'awaiting payment'}, credited ${applied.credited}, refunded ${applied.refunded}` };
}

export const checkoutSessionCompleted = (tx: Tx, object: Record<string, unknown>) => recordCheckoutPayment(tx, object, object.payment_status === 'paid');
export const checkoutSessionAsyncSucceeded = (tx: Tx, object: Record<string, unknown>) => recordCheckoutPayment(tx, object, true);
export const checkoutSessionAsyncFailed = (tx: Tx, object: Record<string, unknown>) => recordCheckoutPayment(tx, object, 'failed');
