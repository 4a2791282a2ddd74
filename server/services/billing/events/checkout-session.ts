// checkout.session.completed, .async_payment_succeeded and .async_payment_failed: a pack bought
// through Checkout. The session names the organization twice (client_reference_id and
// metadata.organization_id) and the pack (metadata.pack); its amount and currency must be the pack's.
import type { Tx } from '@/server/db';
import { findPack, packCredits } from '@/lib/universal/price-book';
import { getPriceBook } from '@/server/services/billing/price-book';
import { applyPayment } from '@/server/services/billing/apply-payment';
import { RefusedEvent } from './refused';
import { ZCheckoutSession, type TCheckoutSession } from './schemas';
import type { EventOutcome } from './outcome';

async function checkedPack(tx: Tx, session: { organizationId?: string | null; clientReference?: string | null; pack?: string; amount?: number | null; currency?: string | null }) {
  const organizationId = session.organizationId ?? null;
  if (!organizationId) throw new RefusedEvent('metadata.organization_id is missing');
  if (session.clientReference && session.clientReference !== organizationId) throw new RefusedEvent(`client_reference_id ${session.clientReference} does not match metadata.organization_id ${organizationId}`);
  const organization = await tx.organization.findUnique({ where: { id: organizationId }, select: { id: true } });
  if (!organization) throw new RefusedEvent(`unknown organization ${organizationId}`);
  const pack = session.pack ? findPack(await getPriceBook({ db: tx }), session.pack) : undefined;
  if (!pack) throw new RefusedEvent(`unknown pack ${session.pack ?? '(none)'}`);
  if (session.amount !== pack.amount || session.currency?.toLowerCase() !== pack.currency) {
    throw new RefusedEvent(`amount ${session.amount ?? '?'} ${session.currency ?? '?'} does not match pack ${pack.id} (${pack.amount} ${pack.currency})`);
  }
  return { organizationId, pack };
}

/** Records the session's payment (raising only) and brings the ledger to match it. */
export async function recordCheckoutPayment(tx: Tx, raw: Record<string, unknown>, paid: boolean | 'failed'): Promise<EventOutcome> {
  const session: TCheckoutSession = ZCheckoutSession.parse(raw);
  const { organizationId, pack } = await checkedPack(tx, {
    organizationId: session.metadata.organization_id,
    clientReference: session.client_reference_id,
    pack: session.metadata.pack,
    amount: session.amount_total,
    currency: session.currency,
  });
  const paymentId = session.payment_intent ?? session.id;
  const facts = { organizationId, kind: 'CHECKOUT' as const, checkoutSessionId: session.id, packId: pack.id, credits: packCredits(pack), amount: pack.amount, currency: pack.currency };
  const existing = await tx.stripePayment.findUnique({ where: { id: paymentId } });
  const paidAt = paid === true ? (existing?.paidAt ?? new Date()) : (existing?.paidAt ?? null);
  const failedAt = paid === 'failed' && !paidAt ? new Date() : (existing?.failedAt ?? null);
  await tx.stripePayment.upsert({ where: { id: paymentId }, create: { id: paymentId, ...facts, paidAt, failedAt }, update: { ...facts, paidAt, failedAt } });
  if (session.customer) {
    await tx.billingAccount.upsert({ where: { organizationId }, create: { organizationId, stripeCustomerId: session.customer }, update: {} });
  }
  const applied = await applyPayment(tx, paymentId);
  return { organizationId, detail: `payment ${paymentId}: ${paid === true ? 'paid' : paid === 'failed' ? 'failed' : 'awaiting payment'}, credited ${applied.credited}, refunded ${applied.refunded}` };
}

export const checkoutSessionCompleted = (tx: Tx, object: Record<string, unknown>) => recordCheckoutPayment(tx, object, object.payment_status === 'paid');
export const checkoutSessionAsyncSucceeded = (tx: Tx, object: Record<string, unknown>) => recordCheckoutPayment(tx, object, true);
export const checkoutSessionAsyncFailed = (tx: Tx, object: Record<string, unknown>) => recordCheckoutPayment(tx, object, 'failed');
