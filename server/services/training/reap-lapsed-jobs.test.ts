// The reaper against a database that goes away: every query of this file passes through a TCP
// proxy to a database of its own (the reaper looks at every running job, so it must not see other
// test files' jobs), and closing the proxy is the outage (connections cut, new ones refused), as a
// database restart looks to a client.
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgBoss } from 'pg-boss';
import { ensureQueues } from '@/server/queue/contracts';
import { createTestUser } from '@/tests/helpers/factories';
import { createTestDatabase, type TestDatabase } from '@/tests/setup/database';
import { disconnectDb, getDb } from '@/server/db';
import { reapLapsedJobs } from './reap-lapsed-jobs';

let database: TestDatabase;
let target: URL;
const sockets = new Set<net.Socket>();
let proxy: net.Server | null = null;
let proxyPort = 0;
let boss: PgBoss;

function openProxy() {
  return new Promise<void>((resolve, reject) => {
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    server.once('error', reject);
    server.listen(proxyPort, '127.0.0.1', () => {
      proxyPort = (server.address() as net.AddressInfo).port;
      proxy = server;
      resolve();
    });
  });
}

async function closeProxy() {
  const server = proxy;
  proxy = null;
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  database = await createTestDatabase(path.resolve('.lathe-test'));
  target = new URL(database.url);
  boss = new PgBoss({ connectionString: target.toString(), schema: 'pgboss', max: 2 });
  await boss.start();
  await ensureQueues(boss);
  await openProxy();
  const viaProxy = new URL(target.toString());
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxyPort);
  process.env.DATABASE_URL = viaProxy.toString();
});

afterAll(async () => {
  await disconnectDb();
  await closeProxy();
  await boss?.stop({ graceful: false });
  await database?.drop();
});

async function lapsedJob(attempt: number) {
  const db = getDb();
  const { organization, project } = await createTestUser();
  const model = await db.baseModel.create({ data: { name: `reaper-${organization.id}`, source: 'FOLDER', status: 'READY', organizationId: organization.id, projectId: project.id } });
  const dataset = await db.dataset.create({ data: { organizationId: organization.id, projectId: project.id, name: 'train.jsonl', status: 'VALID' } });
  return db.trainingJob.create({
    data: {
      organizationId: organization.id,
      projectId: project.id,
      baseModelId: model.id,
      trainingDatasetId: dataset.id,
      status: 'running',
      hyperparameters: {},
      seed: 1,
      attempt,
      heartbeatAt: new Date(Date.now() - 3_600_000),
    },
  });
}

describe('reapLapsedJobs', () => {
  const lapseMs = 1500;

  it('requeues a job whose heartbeat lapsed, once the database has answered for a whole lapse period', async () => {
    const job = await lapsedJob(1);
    // A reaper that has only just reached the database waits one lapse period first.
    expect(await reapLapsedJobs({ db: getDb(), boss, lapseMs })).toBe(0);
    await sleep(lapseMs + 100);
    expect(await reapLapsedJobs({ db: getDb(), boss, lapseMs })).toBeGreaterThanOrEqual(1);
    const row = await getDb().trainingJob.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.status).toBe('queued');
    const sent = await boss.findJobs('job.train', { data: { payload: { jobId: job.id } } });
    expect(sent.map((j) => (j.data as { payload: { attempt: number } }).payload.attempt)).toEqual([2]);
  });

  it('marks runners whose heartbeat lapsed offline, with or without a job, and leaves live ones online', async () => {
    const db = getDb();
    const runner = (name: string, ageMs: number) =>
      db.runner.create({ data: { name, hostname: 'test', gpus: [], memoryBytes: 1n, executor: 'process', status: 'ONLINE', lastHeartbeatAt: new Date(Date.now() - ageMs) } });
    const [gone, alive] = await Promise.all([runner('gone', 3_600_000), runner('alive', 0)]);
    await sleep(lapseMs + 100);
    await db.runner.update({ where: { id: alive.id }, data: { lastHeartbeatAt: new Date() } });
    await reapLapsedJobs({ db, boss, lapseMs });
    expect((await db.runner.findUniqueOrThrow({ where: { id: gone.id } })).status).toBe('OFFLINE');
    expect((await db.runner.findUniqueOrThrow({ where: { id: alive.id } })).status).toBe('ONLINE');
  });

  it('does not take a database outage for lapsed runners', async () => {
    const job = await lapsedJob(3);
    await closeProxy();
    await expect(reapLapsedJobs({ db: getDb(), boss, lapseMs })).rejects.toThrow();
    await openProxy();
    // Heartbeats could not be written during the outage; runners get a lapse period to resume them.
    expect(await reapLapsedJobs({ db: getDb(), boss, lapseMs })).toBe(0);
    expect((await getDb().trainingJob.findUniqueOrThrow({ where: { id: job.id } })).status).toBe('running');
    await sleep(lapseMs + 100);
    expect(await reapLapsedJobs({ db: getDb(), boss, lapseMs })).toBeGreaterThanOrEqual(1);
    expect((await getDb().trainingJob.findUniqueOrThrow({ where: { id: job.id } })).status).toBe('queued');
  });
});
