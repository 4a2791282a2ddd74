// A crash in the middle of a Stripe webhook: the handler has written the payment in its
// transaction, and is waiting for the organization's credit lock, when its process is killed or its
// database connection is cut. Nothing of it may survive, and Stripe's retry of the same event must
// then credit the pack exactly once; a further replay changes nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { DEFAULT_PRICE_BOOK, packCredits } from '@/lib/universal/price-book';
import { getBalance } from '@/server/services/credits/credits';
import { startStripeStandIn, type StripeStandIn } from '@/tests/kit/stripe-server';
import { startWebhookEndpoint } from '@/tests/kit/stripe-webhook-endpoint';
import { createTestUser, type TestUser } from '@/tests/helpers/factories';

const secret = `whsec_${randomBytes(16).toString('hex')}`;
const starter = DEFAULT_PRICE_BOOK.packs[0]!;
let stand: StripeStandIn;
let locker: pg.Client;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  stand = await startStripeStandIn({ webhookSecret: secret });
  for (const [k, v] of Object.entries(stand.env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  locker = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await locker.connect();
});

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await locker?.end();
  await stand?.close();
});

/** The webhook route in a child process; resolves once it listens. */
async function startWebhookProcess(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('tests/kit/stripe-webhook-process.ts')], { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { child, url: line.trim() };
}

function paidSessionEvent(u: TestUser) {
  const session = {
    id: `cs_crash_${randomBytes(8).toString('hex')}`,
    object: 'checkout.session',
    mode: 'payment',
    payment_status: 'paid',
    amount_total: starter.amount,
    currency: starter.currency,
    client_reference_id: u.organization.id,
    customer: null,
    payment_intent: `pi_crash_${randomBytes(8).toString('hex')}`,
    metadata: { pack: starter.id, organization_id: u.organization.id },
  };
  return { id: `evt_crash_${randomBytes(8).toString('hex')}`, object: 'event', api_version: '2025-01-01', created: Math.floor(Date.now() / 1000), livemode: false, type: 'checkout.session.completed', data: { object: session } };
}

/**
 * One whole purchase of another organization first, so the route's modules and the database
 * client are loaded before the delivery that is interrupted.
 */
async function warmUp() {
  const other = await createTestUser();
  const response = await stand.deliver(JSON.stringify(paidSessionEvent(other)));
  expect(response.status).toBe(200);
}

/** Holds the organization's credit lock (the one every credit movement takes) from another session. */
const holdCreditLock = (u: TestUser) => locker.query('SELECT pg_advisory_lock(hashtext($1))', [`credits:${u.organization.id}`]);
const releaseCreditLock = (u: TestUser) => locker.query('SELECT pg_advisory_unlock(hashtext($1))', [`credits:${u.organization.id}`]);

/** The backend of the webhook's transaction, once it waits for the credit lock: the payment row is written by then. */
async function waitForBlockedWebhook(): Promise<number> {
  const listener = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await listener.connect();
  try {
    for (;;) {
      const { rows } = await listener.query<{ pid: number }>(
        `SELECT a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND NOT l.granted AND a.datname = current_database() AND a.query LIKE '%pg_advisory_xact_lock%'`,
      );
      if (rows[0]) return rows[0].pid;
      // Polls the database's own lock table: there is no event to wait on from outside the process.
      await listener.query('SELECT pg_sleep(0.05)');
    }
  } finally {
    await listener.end();
  }
}

/** Waits until PostgreSQL has ended that backend and rolled its transaction back. */
async function waitForBackendGone(pid: number) {
  for (;;) {
    const { rows } = await locker.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
    if (rows.length === 0) return;
    await locker.query('SELECT pg_sleep(0.05)');
  }
}

async function expectNothingWritten(u: TestUser, event: ReturnType<typeof paidSessionEvent>) {
  const db = getDb();
  expect(await db.stripeEvent.findUnique({ where: { id: event.id } })).toBeNull();
  expect(await db.stripePayment.findUnique({ where: { id: event.data.object.payment_intent } })).toBeNull();
  expect(await db.creditLedgerEntry.count({ where: { organizationId: u.organization.id, kind: 'PURCHASE' } })).toBe(0);
}

async function expectCreditedOnce(u: TestUser, event: ReturnType<typeof paidSessionEvent>) {
  const db = getDb();
  expect(await getBalance({ db, organizationId: u.organization.id })).toBe(String(packCredits(starter)));
  expect(await db.creditLedgerEntry.count({ where: { organizationId: u.organization.id, kind: 'PURCHASE' } })).toBe(1);
  expect(await db.stripeEvent.findUniqueOrThrow({ where: { id: event.id } })).toMatchObject({ outcome: 'PROCESSED', organizationId: u.organization.id });
  expect(await db.auditLogEntry.count({ where: { organizationId: u.organization.id, action: 'credits.purchase' } })).toBe(1);
}

describe('a crash in the middle of a Stripe webhook', () => {
  it('loses nothing when the web process is killed mid-transaction, and the retry credits once', async () => {
    const u = await createTestUser();
    const event = paidSessionEvent(u);
    const payload = JSON.stringify(event);
    let web = await startWebhookProcess();
    try {
      stand.setWebhookUrl(web.url);
      await warmUp();
      await holdCreditLock(u);
      const first = stand.deliver(payload).then(
        (response) => response.status,
        () => 'connection lost' as const,
      );
      const pid = await waitForBlockedWebhook();
      web.child.kill('SIGKILL');
      await once(web.child, 'exit');
      // Stripe sees the connection drop: no acknowledgement, so it will retry.
      expect(await first).toBe('connection lost');
      // A backend waiting on a lock notices its client is gone only once it gets the lock: it then
      // fails to answer and rolls back, with nothing committed (the commit would need the client).
      await releaseCreditLock(u);
      await waitForBackendGone(pid);
      await expectNothingWritten(u, event);

      // Stripe retries the same event (signed anew) once the platform is back.
      web = await startWebhookProcess();
      stand.setWebhookUrl(web.url);
      const retry = await stand.deliver(payload);
      expect(retry.status).toBe(200);
      expect(await retry.json()).toMatchObject({ received: true, outcome: 'processed' });
      const replay = await stand.deliver(payload);
      expect(await replay.json()).toMatchObject({ received: true, duplicate: true });
      await expectCreditedOnce(u, event);
    } finally {
      web.child.kill('SIGKILL');
    }
  });

  it('loses nothing when the transaction aborts after the payment row is written, and answers so that Stripe retries', async () => {
    const u = await createTestUser();
    const event = paidSessionEvent(u);
    const payload = JSON.stringify(event);
    const endpoint = await startWebhookEndpoint();
    try {
      stand.setWebhookUrl(endpoint.url);
      await warmUp();
      await holdCreditLock(u);
      const first = stand.deliver(payload);
      const pid = await waitForBlockedWebhook();
      // The database ends the webhook's connection mid-transaction (a failover, an operator, OOM).
      await locker.query('SELECT pg_terminate_backend($1)', [pid]);
      const response = await first;
      expect(response.status).toBeGreaterThanOrEqual(500);
      await releaseCreditLock(u);
      await expectNothingWritten(u, event);

      const retry = await stand.deliver(payload);
      expect(retry.status).toBe(200);
      expect(await retry.json()).toMatchObject({ received: true, outcome: 'processed' });
      expect(await (await stand.deliver(payload)).json()).toMatchObject({ received: true, duplicate: true });
      await expectCreditedOnce(u, event);
    } finally {
      await endpoint.close();
    }
  });
});
