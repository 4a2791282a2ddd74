// Billing against the Stripe stand-in (tests/kit/stripe-server.ts) with the real SDK: checkout,
// signed webhooks over HTTP to the real route, exactly-once handling, events out of order, refunds,
// disputes, auto top-up, spend caps, and a burst of webhooks racing job settlements.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { Prisma } from '@/server/generated/prisma/client';
import { getDb } from '@/server/db';
import { DEFAULT_PRICE_BOOK, packCredits } from '@/lib/universal/price-book';
import { createCheckout, listInvoices } from '@/server/services/billing/checkout';
import { getBalance, grantCredits } from '@/server/services/credits/credits';
import { assertHasCredits, chargeUsage, reserveForJob, settleJob } from '@/server/services/credits/ledger';
import { readOutbox } from '@/server/services/mail/send-mail';
import { startStripeStandIn, type StripeStandIn } from '@/tests/kit/stripe-server';
import { startWebhookEndpoint } from '@/tests/kit/stripe-webhook-endpoint';
import { createTestKey, createTestUser, type TestUser } from '@/tests/helpers/factories';

// This file's process plays the web process under a burst of 250 concurrent writes; a pool of 5
// connections would queue most of them for longer than a transaction may wait on a loaded machine.
process.env.LATHE_DB_POOL ??= '20';

const secret = `whsec_${randomBytes(16).toString('hex')}`;
const starter = DEFAULT_PRICE_BOOK.packs[0]!;
const builder = DEFAULT_PRICE_BOOK.packs[1]!;
let stand: StripeStandIn;
let endpoint: Awaited<ReturnType<typeof startWebhookEndpoint>>;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  stand = await startStripeStandIn({ webhookSecret: secret });
  endpoint = await startWebhookEndpoint();
  stand.setWebhookUrl(endpoint.url);
  for (const [k, v] of Object.entries(stand.env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await endpoint?.close();
  await stand?.close();
});

const db = () => getDb();
const balance = async (u: TestUser) => new Prisma.Decimal(await getBalance({ db: db(), organizationId: u.organization.id }));

async function buy(u: TestUser, packId = starter.id, options: { send?: boolean } = {}) {
  const checkout = await createCheckout({ db: db(), organizationId: u.organization.id, packId, email: u.email, actor: { userId: u.user.id }, baseUrl: 'http://lathe.test' });
  return stand.pay(checkout.id, options);
}

function sessionObject(u: TestUser, overrides: Record<string, unknown> = {}) {
  const pi = `pi_${randomBytes(8).toString('hex')}`;
  return {
    id: `cs_test_${randomBytes(8).toString('hex')}`,
    object: 'checkout.session',
    mode: 'payment',
    payment_status: 'paid',
    amount_total: starter.amount,
    currency: starter.currency,
    client_reference_id: u.organization.id,
    customer: null,
    payment_intent: pi,
    metadata: { pack: starter.id, organization_id: u.organization.id },
    ...overrides,
  };
}

describe('checkout', () => {
  it('creates one customer per organization and a payment-mode session that names the organization and the pack', async () => {
    const u = await createTestUser();
    const [a, b] = await Promise.all([
      createCheckout({ db: db(), organizationId: u.organization.id, packId: builder.id, email: u.email, actor: { userId: u.user.id }, baseUrl: 'http://lathe.test' }),
      createCheckout({ db: db(), organizationId: u.organization.id, packId: builder.id, email: u.email, actor: { userId: u.user.id }, baseUrl: 'http://lathe.test' }),
    ]);
    const sa = stand.sessions.get(a.id)!;
    expect(sa).toMatchObject({ mode: 'payment', client_reference_id: u.organization.id, metadata: { pack: builder.id, organization_id: u.organization.id }, amount_total: builder.amount, currency: builder.currency });
    expect(stand.sessions.get(b.id)!.customer).toBe(sa.customer);
    expect([...stand.customers.values()].filter((c) => (c.metadata as Record<string, string>).organization_id === u.organization.id)).toHaveLength(1);
    const posts = stand.requests.filter((r) => r.method === 'POST' && (r.body.client_reference_id === u.organization.id || (r.body.metadata as Record<string, string> | undefined)?.organization_id === u.organization.id));
    expect(posts.every((r) => r.idempotencyKey && /^(checkout|customer):/.test(r.idempotencyKey))).toBe(true);
    expect(a.url).toContain('/checkout/');

    await stand.pay(a.id);
    expect((await balance(u)).toNumber()).toBe(packCredits(builder));
    const entry = await db().creditLedgerEntry.findFirstOrThrow({ where: { organizationId: u.organization.id, kind: 'PURCHASE' } });
    expect(await db().auditLogEntry.count({ where: { action: 'credits.purchase', targetId: entry.id } })).toBe(1);
    const invoices = await listInvoices({ db: db(), organizationId: u.organization.id });
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({ amount: builder.amount, currency: builder.currency });
  });

  it('refuses an unknown pack with a sentence', async () => {
    const u = await createTestUser();
    await expect(createCheckout({ db: db(), organizationId: u.organization.id, packId: 'nope', actor: {}, baseUrl: 'http://lathe.test' })).rejects.toThrow(/no credit pack "nope"/);
  });
});

describe('webhook signatures and exactly-once', () => {
  it('answers 400 to unsigned, forged and stale deliveries and changes nothing', async () => {
    const u = await createTestUser();
    const payload = JSON.stringify({ id: `evt_${randomBytes(8).toString('hex')}`, object: 'event', type: 'checkout.session.completed', data: { object: sessionObject(u) } });
    const signer = new Stripe('sk_test_x');
    const unsigned = await fetch(endpoint.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
    const forged = await stand.deliver(payload, signer.webhooks.generateTestHeaderString({ payload, secret: 'whsec_not_ours' }));
    const stale = await stand.deliver(payload, signer.webhooks.generateTestHeaderString({ payload, secret, timestamp: Math.floor(Date.now() / 1000) - 3600 }));
    const tampered = await stand.deliver(payload.replace(String(starter.amount), String(starter.amount * 10)), signer.webhooks.generateTestHeaderString({ payload, secret }));
    const garbage = await stand.deliver('not json', signer.webhooks.generateTestHeaderString({ payload: 'not json', secret }));
    expect([unsigned.status, forged.status, stale.status, tampered.status, garbage.status]).toEqual([400, 400, 400, 400, 400]);
    expect((await stale.json()).error).toMatch(/signature/i);
    expect((await balance(u)).toNumber()).toBe(0);
    expect(await db().stripeEvent.count({ where: { id: JSON.parse(payload).id } })).toBe(0);
  });

  it('credits a replayed or concurrently redelivered event once', async () => {
    const u = await createTestUser();
    const { event } = await buy(u, starter.id, { send: false });
    const payload = JSON.stringify(event);
    const answers = await Promise.all(Array.from({ length: 6 }, () => stand.deliver(payload)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const bodies = await Promise.all(answers.map((a) => a.json()));
    expect(bodies.filter((b) => b.duplicate)).toHaveLength(5);
    expect((await balance(u)).toNumber()).toBe(packCredits(starter));
    expect(await db().creditLedgerEntry.count({ where: { organizationId: u.organization.id, kind: 'PURCHASE' } })).toBe(1);
  });

  it('refuses and logs a session whose amount, currency, pack or organization does not match, and ignores types off the allow-list', async () => {
    const u = await createTestUser();
    const cases = [
      sessionObject(u, { amount_total: starter.amount - 1 }),
      sessionObject(u, { currency: 'eur' }),
      sessionObject(u, { metadata: { pack: 'no-such-pack', organization_id: u.organization.id } }),
      sessionObject(u, { client_reference_id: 'org-unknown', metadata: { pack: starter.id, organization_id: 'org-unknown' } }),
      sessionObject(u, { client_reference_id: 'someone-else' }),
      sessionObject(u, { amount_total: 'lots' }),
    ];
    for (const object of cases) {
      const { event, response } = await stand.event('checkout.session.completed', object);
      expect(response!.status, JSON.stringify(object)).toBe(400);
      const row = await db().stripeEvent.findUniqueOrThrow({ where: { id: event.id as string } });
      expect(row.outcome).toBe('REFUSED');
      expect(row.detail).toBeTruthy();
    }
    const ignored = await stand.event('customer.created', { id: 'cus_x', object: 'customer' });
    expect(ignored.response!.status).toBe(200);
    expect(await ignored.response!.json()).toMatchObject({ received: true, outcome: 'ignored' });
    expect((await balance(u)).toNumber()).toBe(0);
  });
});

describe('events out of order', () => {
  it('converges whatever order a purchase, its async success and its refund arrive in', async () => {
    const orders = [
      ['completed', 'async', 'refund'],
      ['refund', 'async', 'completed'],
      ['async', 'refund', 'completed'],
    ];
    for (const order of orders) {
      const u = await createTestUser();
      const session = sessionObject(u);
      const charge = { id: `ch_${randomBytes(6).toString('hex')}`, object: 'charge', amount: starter.amount, amount_refunded: starter.amount / 2, currency: starter.currency, payment_intent: session.payment_intent, metadata: {} };
      const events = {
        completed: () => stand.event('checkout.session.completed', { ...session, payment_status: 'unpaid' }),
        async: () => stand.event('checkout.session.async_payment_succeeded', session),
        refund: () => stand.event('charge.refunded', charge),
      } as Record<string, () => ReturnType<StripeStandIn['event']>>;
      for (const name of order) expect((await events[name]!()).response!.status, `${order.join(',')}: ${name}`).toBe(200);
      expect((await balance(u)).toNumber(), order.join(',')).toBe(packCredits(starter) / 2);
      // A second, larger refund of the same charge takes back only the difference.
      await stand.event('charge.refunded', { ...charge, amount_refunded: starter.amount });
      expect((await balance(u)).toNumber(), order.join(',')).toBe(0);
    }
  });
});

describe('refunds and disputes', () => {
  it('leaves a negative balance that blocks paid work when a refund lands during a running job, and never loses history', async () => {
    const u = await createTestUser();
    const { event } = await buy(u);
    const session = (event.data as { object: { payment_intent: string } }).object;
    const jobId = `job-refund-${u.organization.id}`;
    await reserveForJob({ db: db(), organizationId: u.organization.id, jobId, amount: 600, actor: {} });
    await stand.event('charge.refunded', { id: 'ch_r', object: 'charge', amount: starter.amount, amount_refunded: starter.amount, currency: starter.currency, payment_intent: session.payment_intent });
    expect((await balance(u)).toNumber()).toBe(-600);
    await expect(assertHasCredits({ db: db(), organizationId: u.organization.id })).rejects.toMatchObject({ code: 'PAYMENT_REQUIRED' });
    await settleJob({ db: db(), organizationId: u.organization.id, jobId, actualCost: 250 });
    expect((await balance(u)).toNumber()).toBe(-250);
    const kinds = (await db().creditLedgerEntry.findMany({ where: { organizationId: u.organization.id }, orderBy: { createdAt: 'asc' } })).map((e) => e.kind);
    expect(kinds).toEqual(['PURCHASE', 'RESERVATION', 'REFUND', 'SETTLEMENT']);
    expect(await db().auditLogEntry.count({ where: { organizationId: u.organization.id, action: 'credits.refund' } })).toBe(1);
  });

  it('freezes paid usage on a dispute and tells the owners', async () => {
    const u = await createTestUser();
    const { event } = await buy(u);
    const pi = (event.data as { object: { payment_intent: string } }).object.payment_intent;
    const { response } = await stand.event('charge.dispute.created', { id: 'dp_1', object: 'dispute', amount: starter.amount, currency: starter.currency, payment_intent: pi, reason: 'fraudulent' });
    expect(response!.status).toBe(200);
    await expect(assertHasCredits({ db: db(), organizationId: u.organization.id })).rejects.toMatchObject({ details: { reason: 'paid_usage_frozen' } });
    expect(readOutbox(u.email).some((m) => /frozen/.test(m.subject))).toBe(true);
  });
});

describe('auto top-up', () => {
  async function withAutoTopUp(threshold: number) {
    const u = await createTestUser();
    await buy(u);
    await db().billingAccount.update({ where: { organizationId: u.organization.id }, data: { autoTopUpEnabled: true, autoTopUpThreshold: threshold, autoTopUpPackId: starter.id } });
    return u;
  }

  it('charges the saved card off-session once when a charge takes the balance under the threshold', async () => {
    const u = await withAutoTopUp(500);
    await Promise.all(Array.from({ length: 8 }, (_, i) => chargeUsage({ db: db(), organizationId: u.organization.id, amount: 80, idempotencyKey: `topup-${u.organization.id}-${i}`, memo: 'test' })));
    const customer = (await db().billingAccount.findUniqueOrThrow({ where: { organizationId: u.organization.id } })).stripeCustomerId;
    const intents = stand.requests.filter((r) => r.path === '/v1/payment_intents' && r.body.customer === customer);
    expect(intents).toHaveLength(1);
    expect(intents[0]).toMatchObject({ idempotencyKey: `auto-top-up:${u.organization.id}:1`, body: { off_session: 'true', confirm: 'true', amount: String(starter.amount), metadata: { lathe_kind: 'auto_top_up', organization_id: u.organization.id } } });
    await expect.poll(() => balance(u).then((b) => b.toNumber())).toBe(2 * packCredits(starter) - 640);
    // The webhook for the same intent finds it credited.
    await expect.poll(() => db().stripeEvent.count({ where: { organizationId: u.organization.id, type: 'payment_intent.succeeded' } })).toBe(1);
    expect((await balance(u)).toNumber()).toBe(2 * packCredits(starter) - 640);
  });

  it('turns itself off with the reason and mails the owners when the card is declined', async () => {
    const u = await withAutoTopUp(500);
    const account = await db().billingAccount.findUniqueOrThrow({ where: { organizationId: u.organization.id } });
    stand.declineOffSession(account.stripeCustomerId!, 'insufficient_funds');
    await chargeUsage({ db: db(), organizationId: u.organization.id, amount: 600, idempotencyKey: `decline-${u.organization.id}`, memo: 'test' });
    const after = await db().billingAccount.findUniqueOrThrow({ where: { organizationId: u.organization.id } });
    expect(after.autoTopUpEnabled).toBe(false);
    expect(after.autoTopUpDisabledReason).toMatch(/declined/);
    expect(readOutbox(u.email).filter((m) => /Auto top-up failed/.test(m.subject))).toHaveLength(1);
    expect((await balance(u)).toNumber()).toBe(packCredits(starter) - 600);
    // The failure webhook that follows changes nothing and mails no one again.
    await expect.poll(() => db().stripeEvent.count({ where: { organizationId: u.organization.id, type: 'payment_intent.payment_failed' } })).toBe(1);
    expect(readOutbox(u.email).filter((m) => /Auto top-up failed/.test(m.subject))).toHaveLength(1);
  });
});

describe('spend caps', () => {
  it('refuses paid work over the organization cap or the key cap with a message naming the cap, and alerts at 50, 80 and 100%', async () => {
    const u = await createTestUser();
    await grantCredits({ db: db(), organizationId: u.organization.id, amount: 1000, actor: {} });
    await db().billingAccount.create({ data: { organizationId: u.organization.id, monthlySpendCap: 100 } });
    for (const [i, amount] of [55, 30, 20].entries()) {
      await chargeUsage({ db: db(), organizationId: u.organization.id, amount, idempotencyKey: `cap-${u.organization.id}-${i}`, memo: 'test' });
    }
    await expect(assertHasCredits({ db: db(), organizationId: u.organization.id })).rejects.toThrow(/monthly spending cap of 100 credits/);
    expect(readOutbox(u.email).filter((m) => /monthly spending cap/.test(m.subject)).map((m) => m.subject.split('%')[0]).sort()).toEqual(['100', '50', '80']);

    const v = await createTestUser();
    await grantCredits({ db: db(), organizationId: v.organization.id, amount: 1000, actor: {} });
    await createTestKey(v);
    const key = await db().apiKey.findFirstOrThrow({ where: { organizationId: v.organization.id } });
    await db().apiKey.update({ where: { id: key.id }, data: { monthlySpendCap: 10 } });
    await chargeUsage({ db: db(), organizationId: v.organization.id, apiKeyId: key.id, amount: 10, idempotencyKey: `kcap-${key.id}`, memo: 'test' });
    await expect(assertHasCredits({ db: db(), organizationId: v.organization.id, apiKeyId: key.id })).rejects.toThrow(/API key "test" has reached its monthly spending cap of 10 credits/);
    await expect(assertHasCredits({ db: db(), organizationId: v.organization.id, apiKeyId: null })).resolves.toBeUndefined();
  });
});

describe('under contention', () => {
  it('100 concurrent webhook deliveries (each twice) and 50 concurrent settlements leave the balance equal to the ledger, exactly', async () => {
    const u = await createTestUser();
    await grantCredits({ db: db(), organizationId: u.organization.id, amount: 5000, actor: {} });
    const jobs = Array.from({ length: 50 }, (_, i) => ({ id: `contention-${u.organization.id}-${i}`, reserve: 40 + (i % 7), cost: new Prisma.Decimal(i).div(7).toDecimalPlaces(6) }));
    for (const job of jobs) await reserveForJob({ db: db(), organizationId: u.organization.id, jobId: job.id, amount: job.reserve, actor: {} });
    const events = Array.from({ length: 100 }, () => ({ id: `evt_${randomBytes(10).toString('hex')}`, object: 'event', type: 'checkout.session.completed', created: Math.floor(Date.now() / 1000), data: { object: sessionObject(u) } }));
    const deliveries = [...events, ...events].map((e) => () => stand.deliver(JSON.stringify(e)));
    const settlements = jobs.map((job) => () => settleJob({ db: db(), organizationId: u.organization.id, jobId: job.id, actualCost: job.cost }));
    const results = await Promise.all([...deliveries, ...settlements].sort(() => Math.random() - 0.5).map((f) => f()));
    for (const r of results) if (r instanceof Response) expect(r.status).toBe(200);
    const expected = jobs.reduce((sum, job) => sum.minus(job.cost), new Prisma.Decimal(5000).plus(100 * packCredits(starter)));
    expect((await balance(u)).toString()).toBe(expected.toString());
    const rows = await db().creditLedgerEntry.findMany({ where: { organizationId: u.organization.id } });
    expect(rows.reduce((s, r) => s.plus(r.amount), new Prisma.Decimal(0)).toString()).toBe(expected.toString());
    expect(rows.filter((r) => r.kind === 'PURCHASE')).toHaveLength(100);
    expect(rows.filter((r) => r.kind === 'SETTLEMENT')).toHaveLength(50);
  });

  it('credits once when a Checkout Session and its payment intent, each delivered twice, arrive at the same moment', async () => {
    const u = await createTestUser();
    const sessions = Array.from({ length: 20 }, () => sessionObject(u));
    const events = sessions.flatMap((session) => [
      { id: `evt_${randomBytes(10).toString('hex')}`, object: 'event', type: 'checkout.session.completed', created: Math.floor(Date.now() / 1000), data: { object: session } },
      {
        id: `evt_${randomBytes(10).toString('hex')}`,
        object: 'event',
        type: 'payment_intent.succeeded',
        created: Math.floor(Date.now() / 1000),
        data: { object: { id: session.payment_intent, object: 'payment_intent', amount: starter.amount, currency: starter.currency, status: 'succeeded', metadata: session.metadata } },
      },
    ]);
    const responses = await Promise.all([...events, ...events].map((e) => stand.deliver(JSON.stringify(e))));
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    expect(await db().stripeEvent.count({ where: { id: { in: events.map((e) => e.id) }, outcome: 'PROCESSED' } })).toBe(40);
    expect(await db().creditLedgerEntry.count({ where: { organizationId: u.organization.id, kind: 'PURCHASE' } })).toBe(20);
    expect((await balance(u)).toString()).toBe(String(20 * packCredits(starter)));
    expect(await db().auditLogEntry.count({ where: { organizationId: u.organization.id, action: 'credits.purchase' } })).toBe(20);
  });
});
