// Billing benchmark: webhook-to-credited latency over signed Stripe events, ledger settlement
// throughput under contention, and the drift between balances and the ledger's sum, against a
// PostgreSQL of its own.
//   npm run bench:billing
//   npm run bench:billing -- --events 1000 --concurrency 50 --organizations 100 --settlements 500
//
// Events are checkout.session.completed for the first pack, signed with the stripe SDK and POSTed
// over HTTP to the platform's webhook route (app/api/stripe/webhook/route.ts, served by a plain
// node:http server in this process, so no web build is needed). They are signed and sent from a
// child process, as Stripe sends from machines of its own. The route answers once the event
// is recorded and its credit written, so a delivery's round trip is its webhook-to-credited time.
// Settlements reserve and then settle jobs of one organization from `concurrency` workers at once,
// all contending for its credit lock. The last line printed is one JSON object.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { once } from 'node:events';
import { fork } from 'node:child_process';
import { ephemeralPort } from '../lib/supervisor';
import { ensureEmbeddedPostgres } from '../../server/db/embedded';
import { applyMigrations } from '../../server/db/migrate';
import { disconnectDb, getDb } from '../../server/db';
import { Prisma } from '../../server/generated/prisma/client';
import { createUser } from '../../server/services/users/create-user';
import { getBalance, grantCredits } from '../../server/services/credits/credits';
import { reserveForJob, settleJob } from '../../server/services/credits/ledger';
import { DEFAULT_PRICE_BOOK, packCredits } from '../../lib/universal/price-book';
import { startStripeStandIn } from '../../tests/kit/stripe-server';
import { startWebhookEndpoint } from '../../tests/kit/stripe-webhook-endpoint';
import type { SenderJob, SenderResult } from './stripe-sender';
import { childPids, cpuSnapshot, cpuSpent, pidsWhere } from './cpu-account';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '50' },
    organizations: { type: 'string', default: '100' },
    settlements: { type: 'string', default: '500' },
  },
});
const EVENTS = Number(args.events);
const CONCURRENCY = Number(args.concurrency);
const ORGS = Number(args.organizations);
const SETTLEMENTS = Number(args.settlements);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/** Sends the payloads from a process of its own (scripts/bench/stripe-sender.ts) and waits for its figures. */
async function send(job: SenderJob, postgresPids: () => number[]): Promise<SenderResult & { cpuMs: Record<string, number | null> }> {
  const sender = fork(path.join(import.meta.dirname, 'stripe-sender.ts'), { execArgv: ['--import', 'tsx'] });
  await once(sender, 'message'); // ready
  const groups = { route: [process.pid], sender: [sender.pid!], postgres: postgresPids() };
  const before = cpuSnapshot(Object.values(groups).flat());
  sender.send(job);
  const [result] = (await once(sender, 'message')) as [SenderResult];
  const after = cpuSnapshot(Object.values(groups).flat());
  sender.disconnect();
  return { ...result, cpuMs: cpuSpent(before, after, groups) };
}

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'lathe-bench-billing-'));
  chmodSync(dataDir, 0o755);
  const database = await ensureEmbeddedPostgres({ dataDir, preferredPort: await ephemeralPort() });
  process.env.DATABASE_URL = database.url;
  process.env.LATHE_DATA_DIR = dataDir;
  process.env.LOG_LEVEL ??= 'warn';
  const secret = `whsec_${randomBytes(16).toString('hex')}`;
  const stand = await startStripeStandIn({ webhookSecret: secret });
  Object.assign(process.env, stand.env);
  const endpoint = await startWebhookEndpoint({ keepAlive: true });
  stand.setWebhookUrl(endpoint.url);
  try {
    await applyMigrations({ databaseUrl: database.url, rootDir: path.resolve(import.meta.dirname, '..', '..') });
    const db = getDb();
    const pack = DEFAULT_PRICE_BOOK.packs[0]!;
    const orgs: string[] = [];
    for (let i = 0; i < ORGS; i++) {
      const { organization } = await createUser({ db, email: `bench-billing-${i}-${Date.now()}@example.test`, password: 'bench-Billing-passphrase-1' });
      orgs.push(organization.id);
    }

    // Webhooks: each a distinct paid Checkout Session of one of the organizations.
    const payloads = Array.from({ length: EVENTS }, (_, i) => {
      const organizationId = orgs[i % orgs.length]!;
      const session = { id: `cs_bench_${i}_${randomBytes(4).toString('hex')}`, object: 'checkout.session', mode: 'payment', payment_status: 'paid', amount_total: pack.amount, currency: pack.currency, client_reference_id: organizationId, payment_intent: `pi_bench_${i}_${randomBytes(4).toString('hex')}`, metadata: { pack: pack.id, organization_id: organizationId } };
      return JSON.stringify({ id: `evt_bench_${i}_${randomBytes(6).toString('hex')}`, object: 'event', type: 'checkout.session.completed', created: Math.floor(Date.now() / 1000), data: { object: session } });
    });
    // Warm-up: connections, the price book cache, the route module.
    await pool(payloads.splice(0, Math.min(20, payloads.length)), 10, async (p) => void (await stand.deliver(p)));
    // CPU per webhook by process: the route's (this process), the sender's, PostgreSQL's backends.
    const postmaster = pidsWhere((cmdline) => cmdline.includes(`-p\0${new URL(database.url).port}\0`))[0];
    const sent = await send({ url: endpoint.url, secret, payloads, concurrency: CONCURRENCY }, () => (postmaster ? [postmaster, ...childPids(postmaster)] : []));
    const cpuPerWebhook = Object.fromEntries(Object.entries(sent.cpuMs).map(([k, v]) => [k, v === null ? null : Number((v / payloads.length).toFixed(2))]));
    const latencies = sent.latencies;
    const failures = sent.failures;
    const webhookWallS = sent.wallS;

    // Settlements: one organization, every worker on its lock.
    const contended = orgs[0]!;
    await grantCredits({ db, organizationId: contended, amount: SETTLEMENTS * 10, actor: {}, memo: 'bench' });
    const jobs = Array.from({ length: SETTLEMENTS }, (_, i) => ({ id: `bench-job-${i}-${randomBytes(4).toString('hex')}`, cost: new Prisma.Decimal(i % 97).div(13).toDecimalPlaces(6) }));
    await pool(jobs, CONCURRENCY, async (job) => void (await reserveForJob({ db, organizationId: contended, jobId: job.id, amount: 10, actor: {} })));
    const settleStart = performance.now();
    await pool(jobs, CONCURRENCY, async (job) => void (await settleJob({ db, organizationId: contended, jobId: job.id, actualCost: job.cost })));
    const settleS = (performance.now() - settleStart) / 1000;

    // Drift: every organization's balance against what it was credited and charged.
    const credited = new Map<string, Prisma.Decimal>();
    for (let i = 0; i < EVENTS; i++) {
      const org = orgs[i % orgs.length]!;
      credited.set(org, (credited.get(org) ?? new Prisma.Decimal(0)).plus(packCredits(pack)));
    }
    credited.set(contended, (credited.get(contended) ?? new Prisma.Decimal(0)).plus(SETTLEMENTS * 10).minus(jobs.reduce((s, j) => s.plus(j.cost), new Prisma.Decimal(0))));
    let drift = new Prisma.Decimal(0);
    for (const org of orgs) {
      const balance = new Prisma.Decimal(await getBalance({ db, organizationId: org }));
      drift = drift.plus(balance.minus(credited.get(org) ?? 0).abs());
    }
    const purchases = await db.creditLedgerEntry.count({ where: { kind: 'PURCHASE' } });

    console.log(`  webhooks: ${latencies.length} at ${CONCURRENCY} concurrent, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, ${(latencies.length / webhookWallS).toFixed(0)}/s`);
    console.log(`  CPU per webhook (ms): ${Object.entries(cpuPerWebhook).map(([k, v]) => `${k} ${v ?? '?'}`).join(', ')}`);
    console.log(`  settlements: ${SETTLEMENTS} on one organization at ${CONCURRENCY} concurrent, ${(SETTLEMENTS / settleS).toFixed(0)}/s`);
    console.log(`  drift: ${drift.toString()} credits; purchases ${purchases} for ${EVENTS} events`);
    console.log(
      JSON.stringify({
        webhook_events: latencies.length,
        webhook_concurrency: CONCURRENCY,
        webhook_p50_ms: Number(percentile(latencies, 50).toFixed(1)),
        webhook_p99_ms: Number(percentile(latencies, 99).toFixed(1)),
        webhook_per_s: Number((latencies.length / webhookWallS).toFixed(1)),
        webhook_failures: failures,
        webhook_cpu_ms: cpuPerWebhook,
        settlements: SETTLEMENTS,
        settle_per_s: Number((SETTLEMENTS / settleS).toFixed(1)),
        drift: drift.toNumber(),
        duplicate_or_lost_purchases: purchases - EVENTS,
        db_pool: Number(process.env.LATHE_DB_POOL ?? 5),
        cpus: cpus().length,
        load_avg_1m: Number(loadavg()[0]!.toFixed(1)),
      }),
    );
  } finally {
    await endpoint.close();
    await stand.close();
    await disconnectDb();
    await database.release();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
