// Auto top-up: when a charge takes an organization's balance under its threshold, Lathe charges
// the saved payment method off-session for the chosen pack, once. "Once" is a claim on the
// billing account (a pending key set only where none is set), and the key is also the request's
// idempotency key, so a retried request cannot charge twice. A failure turns auto top-up off with
// the reason shown on the billing page and mails the owners.
import Stripe from 'stripe';
import { getDb, type Db, type Tx } from '@/server/db';
import { logger } from '@/server/logger';
import { findPack, packCredits } from '@/lib/universal/price-book';
import { getPriceBook } from '@/server/services/billing/price-book';
import { applyPayment, recordPackPayment } from '@/server/services/billing/apply-payment';
import { mailOwners } from '@/server/services/billing/owners';
import { stripeClient } from '@/server/services/billing/stripe-client';
import { recordAudit } from '@/server/services/audit/record-audit';

export function mailOwnersLater(organizationId: string, subject: string, text: string) {
  return () => mailOwners({ db: getDb(), organizationId, subject, text });
}

/** Turns auto top-up off with its reason; returns the owners' mail to send after commit, or null when it was off already. */
export async function turnOffAutoTopUp(tx: Tx, { organizationId, reason, pendingKey }: { organizationId: string; reason: string; pendingKey: string | null }) {
  const { count } = await tx.billingAccount.updateMany({
    where: { organizationId, OR: [{ autoTopUpEnabled: true }, ...(pendingKey ? [{ autoTopUpPendingKey: pendingKey }] : [])] },
    data: { autoTopUpEnabled: false, autoTopUpDisabledReason: reason, autoTopUpPendingKey: null },
  });
  if (count === 0) return null;
  await recordAudit(tx, { organizationId, actor: { userId: null }, action: 'billing.auto_top_up.off', targetType: 'Organization', targetId: organizationId, data: { reason } });
  return mailOwnersLater(organizationId, 'Auto top-up failed and is now off', `Lathe tried to top up your credits and the payment failed: ${reason}\n\nAuto top-up is off. Update the payment method in the billing portal (Usage & billing), then turn auto top-up on again.`);
}

async function balanceOf(db: Db, organizationId: string) {
  const { _sum } = await db.creditLedgerEntry.aggregate({ where: { organizationId }, _sum: { amount: true } });
  return _sum.amount?.toNumber() ?? 0;
}

export type AutoTopUpResult = { status: 'not_needed' | 'pending' | 'charged' | 'failed'; paymentId?: string; reason?: string };

/** Charges the saved payment method when the balance is under the threshold; a no-op otherwise, or when a top-up is already in flight. */
export async function maybeAutoTopUp({ db, organizationId }: { db: Db; organizationId: string }): Promise<AutoTopUpResult> {
  const stripe = stripeClient();
  if (!stripe) return { status: 'not_needed' };
  const account = await db.billingAccount.findUnique({ where: { organizationId } });
  if (!account?.autoTopUpEnabled || !account.autoTopUpThreshold || !account.autoTopUpPackId || !account.stripeCustomerId) return { status: 'not_needed' };
  if (account.autoTopUpPendingKey) return { status: 'pending' };
  if ((await balanceOf(db, organizationId)) >= account.autoTopUpThreshold.toNumber()) return { status: 'not_needed' };
  const pack = findPack(await getPriceBook({ db }), account.autoTopUpPackId);
  const key = `auto-top-up:${organizationId}:${account.autoTopUpSequence + 1}`;
  const claimed = await db.billingAccount.updateMany({
    where: { organizationId, autoTopUpEnabled: true, autoTopUpPendingKey: null, autoTopUpSequence: account.autoTopUpSequence },
    data: { autoTopUpPendingKey: key, autoTopUpSequence: { increment: 1 } },
  });
  if (claimed.count === 0) return { status: 'pending' };
  const fail = async (reason: string) => {
    const after = await db.$transaction((tx) => turnOffAutoTopUp(tx, { organizationId, reason, pendingKey: key }));
    await after?.();
    return { status: 'failed' as const, reason };
  };
  if (!pack) return fail(`The pack "${account.autoTopUpPackId}" is no longer offered.`);
  try {
    const customer = await stripe.customers.retrieve(account.stripeCustomerId);
    const paymentMethod = 'deleted' in customer && customer.deleted ? null : (customer.invoice_settings?.default_payment_method ?? (customer as unknown as { default_payment_method?: string | null }).default_payment_method ?? null);
    if (!paymentMethod) return fail('No payment method is saved: buy a pack once, or add a card in the billing portal.');
    const intent = await stripe.paymentIntents.create(
      {
        amount: pack.amount,
        currency: pack.currency,
        customer: account.stripeCustomerId,
        payment_method: typeof paymentMethod === 'string' ? paymentMethod : paymentMethod.id,
        off_session: true,
        confirm: true,
        description: `Lathe auto top-up: ${pack.id}`,
        metadata: { organization_id: organizationId, pack: pack.id, lathe_kind: 'auto_top_up', idempotency_key: key },
      },
      { idempotencyKey: key },
    );
    if (intent.status === 'succeeded') {
      // Credited now from the answer; the webhook for the same intent then finds it done.
      await db.$transaction(async (tx) => {
        const payment = await recordPackPayment(tx, intent.id, { organizationId, kind: 'AUTO_TOP_UP', packId: pack.id, credits: packCredits(pack), amount: pack.amount, currency: pack.currency }, { paid: true });
        await tx.billingAccount.updateMany({ where: { organizationId, autoTopUpPendingKey: key }, data: { autoTopUpPendingKey: null } });
        if (payment) await applyPayment(tx, payment);
      });
      return { status: 'charged', paymentId: intent.id };
    }
    return { status: 'pending', paymentId: intent.id };
  } catch (error) {
    if (error instanceof Stripe.errors.StripeCardError || (error instanceof Stripe.errors.StripeError && error.statusCode === 402)) {
      return fail(error.message);
    }
    // Stripe unreachable: release the claim and step the sequence back, so the next charge retries
    // with the same idempotency key and cannot pay twice if this request did reach Stripe.
    await db.billingAccount.updateMany({ where: { organizationId, autoTopUpPendingKey: key }, data: { autoTopUpPendingKey: null, autoTopUpSequence: { decrement: 1 } } });
    logger.error({ err: error, organizationId }, 'auto top-up could not reach Stripe; it will be tried again on the next charge');
    return { status: 'failed', reason: error instanceof Error ? error.message : String(error) };
  }
}
