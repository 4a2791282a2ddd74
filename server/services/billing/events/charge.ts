// charge.refunded and charge.dispute.created. Both name the payment intent; when it is not known
// yet (its Checkout event has not arrived), the fact is kept on the payment row and applied when it does.
import type { Tx } from '@/server/db';
import { applyPayment } from '@/server/services/billing/apply-payment';
import { mailOwnersLater } from '@/server/services/billing/auto-top-up';
import { ZCharge, ZDispute } from './schemas';
import type { EventOutcome } from './outcome';

export async function chargeRefunded(tx: Tx, raw: Record<string, unknown>): Promise<EventOutcome> {
  const charge = ZCharge.parse(raw);
  const paymentId = charge.payment_intent ?? charge.id;
  const existing = await tx.stripePayment.findUnique({ where: { id: paymentId } });
  const amountRefunded = Math.max(existing?.amountRefunded ?? 0, charge.amount_refunded);
  await tx.stripePayment.upsert({
    where: { id: paymentId },
    create: { id: paymentId, organizationId: charge.metadata.organization_id ?? null, amount: charge.amount, currency: charge.currency, amountRefunded },
    update: { amountRefunded },
  });
  const applied = await applyPayment(tx, paymentId);
  return { organizationId: existing?.organizationId ?? null, detail: `payment ${paymentId}: ${amountRefunded} refunded, ${applied.refunded} credits taken back` };
}

export async function chargeDisputeCreated(tx: Tx, raw: Record<string, unknown>): Promise<EventOutcome> {
  const dispute = ZDispute.parse(raw);
  const paymentId = dispute.payment_intent ?? dispute.charge ?? dispute.id;
  const existing = await tx.stripePayment.findUnique({ where: { id: paymentId } });
  const disputedAt = existing?.disputedAt ?? new Date();
  await tx.stripePayment.upsert({ where: { id: paymentId }, create: { id: paymentId, amount: dispute.amount, currency: dispute.currency, disputedAt }, update: { disputedAt } });
  const applied = await applyPayment(tx, paymentId);
  const organizationId = existing?.organizationId ?? null;
  const after =
    applied.froze && organizationId
      ? mailOwnersLater(organizationId, 'Paid usage is frozen: a payment is disputed', `A payment of ${dispute.amount} ${dispute.currency.toUpperCase()} to Lathe is disputed (${dispute.reason ?? 'no reason given'}). New paid jobs and API calls are refused until the dispute is settled. Contact the operator of this installation.`)
      : undefined;
  return { organizationId, detail: `payment ${paymentId} disputed${applied.froze ? '; paid usage frozen' : ''}`, after };
}
