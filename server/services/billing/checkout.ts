// Buying credits: one Stripe Customer per organization (created on its first purchase), a
// Checkout Session in payment mode for one pack, the billing portal, and the invoices.
import type Stripe from 'stripe';
import type { Db } from '@/server/db';
import { LatheError } from '@/server/services/errors';
import { findPack } from '@/lib/universal/price-book';
import { getPriceBook } from '@/server/services/billing/price-book';
import { operatorContact, stripeClient } from '@/server/services/billing/stripe-client';
import { recordAudit, type AuditActor } from '@/server/services/audit/record-audit';

function requireStripe(): Stripe {
  const stripe = stripeClient();
  if (!stripe) {
    const contact = operatorContact();
    throw new LatheError('PRECONDITION_FAILED', `Credits are granted by the operator of this installation${contact ? ` (${contact})` : ''}; buying them here is not set up.`, { reason: 'billing_not_configured' });
  }
  return stripe;
}

/** The organization's Stripe Customer id, created once (a per-organization lock keeps two first purchases from creating two). */
export async function ensureCustomer({ db, organizationId, email }: { db: Db; organizationId: string; email?: string | null }): Promise<string> {
  const stripe = requireStripe();
  const known = await db.billingAccount.findUnique({ where: { organizationId }, select: { stripeCustomerId: true } });
  if (known?.stripeCustomerId) return known.stripeCustomerId;
  return db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock(hashtext($1))', `stripe-customer:${organizationId}`);
      const again = await tx.billingAccount.findUnique({ where: { organizationId }, select: { stripeCustomerId: true } });
      if (again?.stripeCustomerId) return again.stripeCustomerId;
      const organization = await tx.organization.findUniqueOrThrow({ where: { id: organizationId }, select: { name: true } });
      const customer = await stripe.customers.create(
        { name: organization.name, ...(email ? { email } : {}), metadata: { organization_id: organizationId } },
        { idempotencyKey: `customer:${organizationId}` },
      );
      await tx.billingAccount.upsert({ where: { organizationId }, create: { organizationId, stripeCustomerId: customer.id }, update: { stripeCustomerId: customer.id } });
      return customer.id;
    },
    { timeout: 30_000 },
  );
}

export type CreateCheckoutOptions = { db: Db; organizationId: string; packId: string; email?: string | null; actor: AuditActor; baseUrl: string };

/** A Checkout Session for one pack; the caller redirects the browser to its url. */
export async function createCheckout({ db, organizationId, packId, email, actor, baseUrl }: CreateCheckoutOptions) {
  const stripe = requireStripe();
  const pack = findPack(await getPriceBook({ db }), packId);
  if (!pack) throw new LatheError('BAD_REQUEST', `There is no credit pack "${packId}".`, { param: 'pack', reason: 'unknown_pack' });
  const customer = await ensureCustomer({ db, organizationId, email });
  const metadata = { pack: pack.id, organization_id: organizationId };
  const credits = pack.credits + pack.bonusCredits;
  const session = await stripe.checkout.sessions.create(
    {
      mode: 'payment',
      customer,
      client_reference_id: organizationId,
      metadata,
      line_items: [{ quantity: 1, price_data: { currency: pack.currency, unit_amount: pack.amount, product_data: { name: `Lathe credits: ${pack.id} (${credits.toLocaleString('en')} credits)` } } }],
      payment_intent_data: { metadata, setup_future_usage: 'off_session' },
      invoice_creation: { enabled: true },
      success_url: `${baseUrl}/usage/checkout?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${baseUrl}/usage?checkout=cancelled`,
    },
    // One session per click: the key only protects the SDK's own retries of this request.
    { idempotencyKey: `checkout:${organizationId}:${pack.id}:${crypto.randomUUID()}` },
  );
  if (!session.url) throw new LatheError('BAD_GATEWAY', 'Stripe answered without a Checkout page address; try again.');
  await db.$transaction((tx) => recordAudit(tx, { organizationId, actor, action: 'billing.checkout', targetType: 'Organization', targetId: organizationId, data: { pack: pack.id, session: session.id } }));
  return { id: session.id, url: session.url };
}

/** A Billing Portal session for payment methods and receipts. */
export async function createPortalSession({ db, organizationId, email, baseUrl }: { db: Db; organizationId: string; email?: string | null; baseUrl: string }) {
  const stripe = requireStripe();
  const customer = await ensureCustomer({ db, organizationId, email });
  const session = await stripe.billingPortal.sessions.create({ customer, return_url: `${baseUrl}/usage` });
  return { url: session.url };
}

export type InvoiceRow = { id: string; number: string | null; amount: number; currency: string; status: string | null; created: Date; url: string | null; pdf: string | null };

/** The organization's invoices from Stripe, newest first; none before its first purchase. */
export async function listInvoices({ db, organizationId }: { db: Db; organizationId: string }): Promise<InvoiceRow[]> {
  const stripe = stripeClient();
  if (!stripe) return [];
  const account = await db.billingAccount.findUnique({ where: { organizationId }, select: { stripeCustomerId: true } });
  if (!account?.stripeCustomerId) return [];
  const page = await stripe.invoices.list({ customer: account.stripeCustomerId, limit: 24 });
  return page.data.map((i) => ({ id: i.id ?? '', number: i.number ?? null, amount: i.amount_paid, currency: i.currency, status: i.status ?? null, created: new Date(i.created * 1000), url: i.hosted_invoice_url ?? null, pdf: i.invoice_pdf ?? null }));
}

/** Where a Checkout Session stands, for the success page while its webhook is on the way. */
export async function checkoutStatus({ db, organizationId, sessionId }: { db: Db; organizationId: string; sessionId: string }) {
  const payment = await db.stripePayment.findFirst({ where: { checkoutSessionId: sessionId, organizationId } });
  return { credited: Boolean(payment?.paidAt), failed: Boolean(payment?.failedAt && !payment.paidAt), packId: payment?.packId ?? null, credits: payment?.credits?.toString() ?? null };
}
