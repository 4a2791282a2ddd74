// Webhook delivery benchmark: latency from emitting an event (its rows and queue job written in
// one transaction) to the signed request arriving at a local receiver that verifies it with the
// reference `standardwebhooks` package. 1,000 events by default over 20 endpoints, one emitter per
// endpoint, all concurrent; each emitter sends its endpoint's next event once the previous one
// arrived, so 20 deliveries are in flight at any time and the figure is delivery latency, not the
// time to drain a backlog. Delivered by the worker's own `webhook.deliver` handler on a real
// pg-boss queue, with the worker's settings (LISTEN/NOTIFY pickup, its default concurrency).
//   tsx scripts/bench/webhook-delivery.ts [--events 1000] [--endpoints 20] [--concurrency 10]
// Without DATABASE_URL it starts an embedded PostgreSQL of its own. Prints one JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';

export type BenchWebhookDeliveryOptions = {
  events?: number;
  endpoints?: number;
  /** Deliveries in flight at once (the worker's LATHE_WEBHOOK_CONCURRENCY). */
  concurrency?: number;
  /** An existing database; without it an embedded PostgreSQL is started. */
  databaseUrl?: string;
  log?: (line: string) => void;
};

export type BenchWebhookDeliveryResult = { p50Ms: number; p99Ms: number; events: number; endpoints: number };

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};

/**
 * Runs the benchmark in this process. It sets LATHE_WEBHOOK_ALLOW_PRIVATE=1 (the receiver is on
 * loopback) and, unless set, LATHE_SECRET_KEY and LATHE_DB_POOL; it stops the process's pg-boss
 * client and database client when done (both are made again on next use).
 */
export async function benchWebhookDelivery(opts: BenchWebhookDeliveryOptions = {}): Promise<BenchWebhookDeliveryResult & { concurrency: number; p90Ms: number; maxMs: number; wallMs: number }> {
  const events = opts.events ?? 1000;
  const endpointCount = opts.endpoints ?? 20;
  const concurrency = opts.concurrency ?? 10;
  const log = opts.log ?? (() => {});
  process.env.LATHE_WEBHOOK_ALLOW_PRIVATE = '1';
  process.env.LATHE_SECRET_KEY ??= randomBytes(32).toString('hex');
  process.env.LOG_LEVEL ??= 'warn';
  // This one process both emits (as web and runners would) and delivers (as the worker would):
  // enough connections for every emitter and every delivery in flight, as those processes would have together.
  process.env.LATHE_DB_POOL ??= String(endpointCount + concurrency + 4);

  let dataDir: string | null = null;
  let release: (() => Promise<void>) | null = null;
  const databaseUrl = opts.databaseUrl ?? process.env.DATABASE_URL;
  if (databaseUrl) {
    process.env.DATABASE_URL = databaseUrl;
  } else {
    const { ensureEmbeddedPostgres } = await import('../../server/db/embedded');
    const { ephemeralPort } = await import('../lib/supervisor');
    dataDir = mkdtempSync(path.join(tmpdir(), 'lathe-bench-webhooks-'));
    const database = await ensureEmbeddedPostgres({ dataDir, preferredPort: await ephemeralPort() });
    release = database.release;
    process.env.DATABASE_URL = database.url;
  }
  process.env.LATHE_DATA_DIR ??= dataDir ?? mkdtempSync(path.join(tmpdir(), 'lathe-bench-webhooks-data-'));

  const { applyMigrations } = await import('../../server/db/migrate');
  const { disconnectDb, getDb } = await import('../../server/db');
  const { tenantDb } = await import('../../server/db/tenant');
  const { PgBoss } = await import('pg-boss');
  const { getBoss, stopBoss } = await import('../../server/queue/boss');
  const { workQueue } = await import('../../server/queue/contracts');
  const { createUser } = await import('../../server/services/users/create-user');
  const { createWebhookEndpoint } = await import('../../server/services/webhooks/manage-endpoints');
  const { emitWebhookEvent } = await import('../../server/services/webhooks/emit-webhook-event');
  const { createDeliverWebhookHandler } = await import('../../worker/handlers/deliver-webhook');
  const { deliveryPolicy } = await import('../../server/services/webhooks/deliver-webhook');
  const { startWebhookReceiver } = await import('../../tests/kit/webhook-receiver');

  await applyMigrations({ databaseUrl: process.env.DATABASE_URL!, rootDir: path.resolve(import.meta.dirname, '..', '..') });
  const receiver = await startWebhookReceiver();
  const boss = await getBoss();
  // The consumer as worker/main.ts makes it.
  const workerBoss = new PgBoss({ connectionString: process.env.DATABASE_URL!, schema: 'pgboss', max: 4, useListenNotify: true });
  await workerBoss.start();
  try {
    const db = getDb();
    const { user, organization, project } = await createUser({ db, email: `bench-${randomBytes(4).toString('hex')}@example.test`, password: 'bench-Password-123' });
    // One project per endpoint: an event of a project goes to its one endpoint.
    const projects = [project];
    for (let i = 1; i < endpointCount; i++) {
      projects.push(await db.project.create({ data: { organizationId: organization.id, name: `bench ${i}`, slug: `bench-${i}-${randomBytes(3).toString('hex')}` } }));
    }
    const paths = projects.map((_, i) => `/endpoint-${i}`);
    for (const [i, p] of projects.entries()) {
      const scope = { organizationId: organization.id, projectId: p.id };
      const { secret } = await createWebhookEndpoint({ tenant: { db: tenantDb(scope), scope, actor: { userId: user.id } }, input: { url: receiver.url(paths[i]!), events: ['model.ready'] } });
      receiver.setSecrets(paths[i]!, [secret]);
    }

    const handler = createDeliverWebhookHandler(deliveryPolicy());
    await workQueue(workerBoss, handler.queue, { batchSize: 1, localConcurrency: concurrency }, handler.handle);

    const emittedAt = new Map<string, number>();
    const arrivals = new Map<string, () => void>();
    const latencies: number[] = [];
    receiver.onReceive = (received) => {
      const name = String((received.body.data as { id?: string } | undefined)?.id);
      const started = emittedAt.get(name);
      if (started === undefined || received.status >= 300) return;
      latencies.push(received.receivedAt - started);
      arrivals.get(name)?.();
    };
    const perEndpoint = Math.ceil(events / endpointCount);
    const wallStart = performance.now();
    await Promise.all(
      projects.map(async (p, i) => {
        for (let n = 0; n < perEndpoint && i * perEndpoint + n < events; n++) {
          const name = `bench-${i}-${n}`;
          const arrived = new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`${name} did not arrive within 60 s`)), 60_000);
            arrivals.set(name, () => (clearTimeout(timer), resolve()));
          });
          emittedAt.set(name, performance.now());
          const queued = await emitWebhookEvent({ db, organizationId: organization.id, projectId: p.id, type: 'model.ready', data: { id: name }, dedupeKey: `bench:${name}:${wallStart}`, boss });
          if (queued.length !== 1) throw new Error(`${name} was not recorded`);
          await arrived;
        }
      }),
    );
    const wallMs = Math.round(performance.now() - wallStart);
    log(`${events} events delivered in ${wallMs} ms`);
    if (latencies.length < events) throw new Error(`only ${latencies.length} of ${events} webhooks arrived`);
    if (paths.some((route) => receiver.rejected(route) > 0)) throw new Error('a webhook failed verification');
    const round = (v: number) => Math.round(v * 10) / 10;
    return { p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)), p90Ms: round(percentile(latencies, 90)), maxMs: round(Math.max(...latencies)), events, endpoints: endpointCount, concurrency, wallMs };
  } finally {
    await workerBoss.stop({ graceful: false });
    await stopBoss();
    await receiver.close();
    await disconnectDb();
    await release?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '1000' }, endpoints: { type: 'string', default: '20' }, concurrency: { type: 'string', default: '10' } } });
  const result = await benchWebhookDelivery({ events: Number(values.events), endpoints: Number(values.endpoints), concurrency: Number(values.concurrency), log: (l) => console.error(l) });
  console.log(JSON.stringify({ bench: 'webhook-delivery', ...result, cpus: cpus().length }));
  process.exit(0);
}
