// Signed webhooks end to end inside one process: the real tRPC router and services, a real
// pg-boss queue worked by the worker's own handler, and a local receiver that verifies every
// request with the reference `standardwebhooks` implementation.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import type { PgBoss } from 'pg-boss';
import { getDb } from '@/server/db';
import { getBoss, stopBoss } from '@/server/queue/boss';
import { deliverWebhookJob, workQueue } from '@/server/queue/contracts';
import { readOutbox } from '@/server/services/mail/send-mail';
import { chargeUsage, reserveForJob, settleJob } from '@/server/services/credits/ledger';
import { finishJob } from '@/server/services/training/finish-job';
import { publishJob } from '@/server/services/training/publish-job';
import { failJob } from '@/server/services/training/prepare-job';
import { tenantDb } from '@/server/db/tenant';
import { runDatasetValidation } from '@/server/services/datasets/platform/run-dataset-validation';
import { callerFor, callerForKey, createTestKey, createTestUser, type TestUser } from '@/tests/helpers/factories';
import { FIXTURES } from '@/tests/kit/datasets';
import { startWebhookReceiver, type WebhookReceiver } from '@/tests/kit/webhook-receiver';
import { createDeliverWebhookHandler } from '@/worker/handlers/deliver-webhook';
import { createWebhookEndpoint } from './manage-endpoints';
import { deliverWebhook, retryDelayMs, type DeliveryPolicy } from './deliver-webhook';
import { isNonPublicAddress, resolveDestination } from './destination';
import { emitWebhookEvent } from './emit-webhook-event';
import { pruneWebhookLog } from './prune-webhook-log';

const POLICY: DeliveryPolicy = { retryBaseMs: 250, retryWindowMs: 60_000, maxDelayMs: 2 * 3600_000, allowPrivate: true, timeoutMs: 5_000 };

let receiver: WebhookReceiver;
let boss: PgBoss;
let owner: TestUser;

const tenantOf = (user: TestUser) => {
  const scope = { organizationId: user.organization.id, projectId: user.project.id };
  return { db: tenantDb(scope), scope, actor: { userId: user.user.id } };
};

async function endpointAt(user: TestUser, path: string, events: string[] = ['dataset.validated', 'fine_tuning.job.succeeded']) {
  const created = await callerFor(user).webhooks.create({ url: receiver.url(path), events: events as never });
  receiver.setSecrets(path, [created.secret]);
  return created;
}

async function deliveryOf(eventId: string) {
  return getDb().webhookDelivery.findFirstOrThrow({ where: { eventId }, include: { attemptLog: { orderBy: { attempt: 'asc' } } } });
}

/** Resolves when the delivery has left PENDING (waits on the worker through the receiver's arrivals, then reads once). */
async function settledDelivery(eventId: string, deadlineMs = 30_000) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const row = await deliveryOf(eventId);
    if (row.status !== 'PENDING') return row;
    if (Date.now() > deadline) throw new Error(`delivery of ${eventId} still pending after ${row.attempts} tries`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The delivery's queue jobs once none is still running (pg-boss completes a job just after its handler returns). */
async function settledJobs(deliveryId: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const jobs = await boss.findJobs(deliverWebhookJob.name, { data: { payload: { deliveryId } } });
    if (jobs.every((j) => j.state !== 'active' && j.state !== 'created' && j.state !== 'retry') || Date.now() > deadline) return jobs;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  process.env.LATHE_WEBHOOK_ALLOW_PRIVATE = '1';
  receiver = await startWebhookReceiver();
  owner = await createTestUser();
  boss = await getBoss();
  const handler = createDeliverWebhookHandler(POLICY);
  await workQueue(boss, handler.queue, { batchSize: 1, localConcurrency: 4, pollingIntervalSeconds: 0.5 }, handler.handle);
});

afterAll(async () => {
  await stopBoss();
  await receiver?.close();
});

describe('webhook endpoints', () => {
  it('shows the secret once, lists endpoints without it, and refuses an empty event list and a bad URL with sentences', async () => {
    const caller = callerFor(owner);
    const { endpoint, secret } = await caller.webhooks.create({ url: receiver.url('/list'), events: ['model.ready'], description: 'models' });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const listed = await caller.webhooks.list();
    expect(listed.find((e) => e.id === endpoint.id)).toMatchObject({ url: receiver.url('/list'), events: ['model.ready'], enabled: true, secretLast4: secret.slice(-4) });
    expect(JSON.stringify(listed)).not.toContain(secret.slice(6, 30));
    await expect(caller.webhooks.create({ url: receiver.url('/x'), events: [] })).rejects.toThrow(/at least one event/);
    await expect(caller.webhooks.create({ url: 'ftp://example.com/x', events: ['model.ready'] })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/http:\/\/ or https:\/\//) });
    await expect(caller.webhooks.create({ url: 'https://user:pw@example.com/x', events: ['model.ready'] })).rejects.toThrow(/user name or password/);
  });

  it('is managed with an API key too (the SDK speaks API keys only)', async () => {
    const keyCaller = await callerForKey(await createTestKey(owner));
    const { endpoint } = await keyCaller.webhooks.create({ url: receiver.url('/by-key'), events: ['credits.low'] });
    const updated = await keyCaller.webhooks.update({ id: endpoint.id, events: ['credits.low', 'model.ready'], enabled: false });
    expect(updated).toMatchObject({ enabled: false, events: ['credits.low', 'model.ready'] });
    await expect(keyCaller.webhooks.sendTest({ id: endpoint.id })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    await keyCaller.webhooks.delete({ id: endpoint.id });
    await expect(keyCaller.webhooks.get({ id: endpoint.id })).rejects.toBeInstanceOf(TRPCError);
  });
});

describe('delivery', () => {
  it('signs a test event so the reference verifier accepts it, in the OpenAI event shape, and logs the try', async () => {
    const { endpoint } = await endpointAt(owner, '/test-event');
    const { eventId } = await callerFor(owner).webhooks.sendTest({ id: endpoint.id });
    const [received] = await receiver.waitFor('/test-event', 1);
    expect(received!.id).toBe(eventId);
    expect(received!.body).toEqual({ id: eventId, object: 'event', type: 'webhook.test', created_at: expect.any(Number), data: { id: endpoint.id } });
    expect(Math.abs(received!.timestamp - Date.now() / 1000)).toBeLessThan(60);
    // The try is recorded just after the receiver answers.
    await settledDelivery(eventId);
    const [delivery] = await callerFor(owner).webhooks.deliveries({ endpointId: endpoint.id });
    expect(delivery).toMatchObject({ eventId, eventType: 'webhook.test', status: 'SUCCEEDED', attempts: 1 });
    expect(delivery!.tries[0]).toMatchObject({ attempt: 1, responseStatus: 200, responseBody: 'ok', error: null });
    expect(delivery!.tries[0]!.requestHeaders['webhook-id']).toBe(eventId);
    expect(delivery!.tries[0]!.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('sends dataset.validated from the validation itself, once, however often it is emitted', async () => {
    await endpointAt(owner, '/dataset');
    const content = await readFile(path.join(FIXTURES, 'good/chat.jsonl'), 'utf8');
    const dataset = await callerFor(owner).dataset.createFromText({ filename: 'hooks.jsonl', content });
    expect(await runDatasetValidation({ datasetId: dataset.id })).toBe('VALID');
    const [received] = await receiver.waitFor('/dataset', 1);
    expect(received!.body).toMatchObject({ object: 'event', type: 'dataset.validated', data: { id: dataset.id, file_id: `file-${dataset.id}`, status: 'valid' } });
    const again = await emitWebhookEvent({ db: getDb(), organizationId: owner.organization.id, projectId: owner.project.id, type: 'dataset.validated', data: { id: dataset.id }, dedupeKey: `dataset.validated:${dataset.id}` });
    expect(again).toEqual([]);
  });

  it('retries after a 500 with the same webhook-id, stops once the receiver recovers, and the receiver recognises a replay', async () => {
    const { endpoint } = await endpointAt(owner, '/flaky');
    receiver.script('/flaky', [500, 503]);
    const { eventId } = await callerFor(owner).webhooks.sendTest({ id: endpoint.id });
    const arrivals = await receiver.waitFor('/flaky', 3);
    expect(arrivals.map((r) => [r.id, r.status])).toEqual([[eventId, 500], [eventId, 503], [eventId, 200]]);
    // Back-off: the second gap is about twice the first.
    const [a, b, c] = arrivals.map((r) => r.receivedAt) as [number, number, number];
    expect(b - a).toBeGreaterThanOrEqual(POLICY.retryBaseMs - 50);
    expect(c - b).toBeGreaterThanOrEqual(2 * POLICY.retryBaseMs - 50);
    const delivery = await settledDelivery(eventId);
    expect(delivery).toMatchObject({ status: 'SUCCEEDED', attempts: 3 });
    expect(delivery.attemptLog.map((t) => t.responseStatus)).toEqual([500, 503, 200]);
    // Nothing more is queued for it: its jobs all completed.
    const jobs = await settledJobs(delivery.id);
    expect(jobs.map((j) => j.state)).toEqual(['completed', 'completed', 'completed']);
    expect(receiver.processed('/flaky')).toEqual([eventId]);
    // Someone replays the last request exactly as it was sent: it verifies, and its id is known.
    const last = delivery.attemptLog.at(-1)!;
    const replay = await fetch(receiver.url('/flaky'), { method: 'POST', headers: last.requestHeaders as Record<string, string>, body: last.requestBody });
    expect(replay.status).toBe(200);
    expect(receiver.replays('/flaky')).toBe(1);
    expect(receiver.processed('/flaky')).toEqual([eventId]);
    expect((await getDb().webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).consecutiveFailures).toBe(0);
  });

  it('gives up once the retry window has passed, disables the endpoint and mails the owners once, unless something got through meanwhile', async () => {
    const db = getDb();
    const DAY = 24 * 3600_000;
    const policy = { ...POLICY, retryWindowMs: DAY };
    receiver.script('/down', Array(10).fill(500));
    receiver.script('/mostly-down', Array(10).fill(500));
    // Rows without a queue job, for an event of almost a day ago: this test's own call is the last try.
    const lastTry = async (path: string, lastSuccessAt: Date | null) => {
      const { endpoint } = await endpointAt(owner, path, ['model.ready']);
      const createdAt = new Date(Date.now() - DAY + 60_000);
      const id = `evt_late_${endpoint.id}`;
      await db.webhookEvent.create({ data: { id, organizationId: owner.organization.id, projectId: owner.project.id, type: 'model.ready', payload: { id, object: 'event', type: 'model.ready', created_at: 0, data: { id: 'ft:x' } }, dedupeKey: id, createdAt } });
      const delivery = await db.webhookDelivery.create({ data: { organizationId: owner.organization.id, projectId: owner.project.id, endpointId: endpoint.id, eventId: id, createdAt, attempts: 17 } });
      await db.webhookEndpoint.update({ where: { id: endpoint.id }, data: { lastSuccessAt } });
      const outcome = await deliverWebhook({ db, deliveryId: delivery.id, policy, boss });
      return { outcome, endpoint: await db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } }), delivery: await db.webhookDelivery.findUniqueOrThrow({ where: { id: delivery.id } }) };
    };
    const down = await lastTry('/down', null);
    expect(down.outcome).toBe('failed');
    expect(down.delivery).toMatchObject({ status: 'FAILED', attempts: 18 });
    expect(down.endpoint).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/HTTP 500/) });
    const mails = readOutbox(owner.email).filter((m) => m.subject.includes('webhook endpoint was disabled') && m.text.includes(receiver.url('/down')));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toMatch(/enable the endpoint again/);
    const mostlyDown = await lastTry('/mostly-down', new Date());
    expect(mostlyDown.outcome).toBe('failed');
    expect(mostlyDown.endpoint.enabled).toBe(true);
    expect(readOutbox(owner.email).filter((m) => m.text.includes(receiver.url('/mostly-down')))).toHaveLength(0);
  });

  it('signs with both secrets after a rotation, so receivers holding either verify', async () => {
    const { endpoint, secret: old } = await endpointAt(owner, '/rotate');
    const { secret: fresh } = await callerFor(owner).webhooks.rotateSecret({ id: endpoint.id });
    expect(fresh).not.toBe(old);
    receiver.setSecrets('/rotate', [fresh]);
    await callerFor(owner).webhooks.sendTest({ id: endpoint.id });
    const [received] = await receiver.waitFor('/rotate', 1);
    expect(String(received!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    receiver.setSecrets('/rotate', [old]);
    await callerFor(owner).webhooks.sendTest({ id: endpoint.id });
    await receiver.waitFor('/rotate', 2);
    expect(receiver.rejected('/rotate')).toBe(0);
  });

  it('sends fine_tuning.job.* and model.ready from where they happen: the runner\'s publication and finish, the worker\'s failure and a cancellation', async () => {
    const user = await createTestUser();
    await endpointAt(user, '/jobs', ['fine_tuning.job.succeeded', 'fine_tuning.job.failed', 'fine_tuning.job.cancelled', 'model.ready']);
    const db = getDb();
    const model = await db.baseModel.create({ data: { organizationId: user.organization.id, name: `hooks-${user.organization.id}`, source: 'FOLDER', status: 'READY' } });
    const dataset = await callerFor(user).dataset.createFromText({ filename: 'jobs.jsonl', content: '{"prompt":"a","completion":"b"}\n' });
    const job = (status: 'running' | 'queued' | 'validating_files') =>
      db.trainingJob.create({ data: { organizationId: user.organization.id, projectId: user.project.id, baseModelId: model.id, trainingDatasetId: dataset.id, status, attempt: 1, hyperparameters: {}, seed: 1 } });
    const [ran, prepared, queued] = [await job('running'), await job('validating_files'), await job('queued')];
    const ending = { code: 'trainer_crashed', message: 'The trainer exited with code 1.' };
    expect(await finishJob({ db, job: { id: ran.id, organizationId: ran.organizationId, baseModel: model }, attempt: 1, ending: { status: 'failed', error: ending } })).toBe(true);
    // A runner retrying its finish after a lost answer sends nothing twice.
    expect(await finishJob({ db, job: { id: ran.id, organizationId: ran.organizationId, baseModel: model }, attempt: 1, ending: { status: 'failed', error: ending } })).toBe(true);
    await failJob(db, prepared.id, { code: 'invalid_dataset', message: 'The dataset has 1 example.' });
    await callerFor(user).job.cancel({ id: queued.id });
    const arrivals = await receiver.waitFor('/jobs', 3);
    const byJob = Object.fromEntries(arrivals.map((r) => [(r.body.data as { id: string }).id, r.body]));
    expect(byJob[`ftjob-${ran.id}`]).toMatchObject({ type: 'fine_tuning.job.failed', data: { error: ending } });
    expect(byJob[`ftjob-${prepared.id}`]).toMatchObject({ type: 'fine_tuning.job.failed', data: { error: { code: 'invalid_dataset' } } });
    expect(byJob[`ftjob-${queued.id}`]).toMatchObject({ type: 'fine_tuning.job.cancelled' });
    expect(await db.webhookEvent.count({ where: { organizationId: user.organization.id } })).toBe(3);

    // A run that trained to the end: model.ready when it is published, then the job's success naming the model.
    const winner = await job('running');
    const published = { db, job: { ...winner, baseModel: model, organization: user.organization }, attempt: 1, adapter: {}, adapterGguf: { sha256: '0'.repeat(64), size: 1 }, metrics: { sha256: '1'.repeat(64), size: 1 }, trainedTokens: 10, progress: {} };
    const name = await publishJob(published);
    expect(await publishJob(published)).toBe(name);
    await finishJob({ db, job: { id: winner.id, organizationId: winner.organizationId, baseModel: model }, attempt: 1, ending: { status: 'succeeded', trainedTokens: 10 } });
    const [, , , ready, succeeded] = await receiver.waitFor('/jobs', 5);
    expect([ready!.body, succeeded!.body].map((b) => b.type).sort()).toEqual(['fine_tuning.job.succeeded', 'model.ready']);
    const bodies = Object.fromEntries([ready!.body, succeeded!.body].map((b) => [b.type as string, b.data]));
    expect(bodies['model.ready']).toEqual({ id: name, fine_tuning_job_id: `ftjob-${winner.id}` });
    expect(bodies['fine_tuning.job.succeeded']).toEqual({ id: `ftjob-${winner.id}`, fine_tuned_model: name });
  });

  it('sends credits.low once, when a charge takes the balance under the threshold', async () => {
    const user = await createTestUser();
    await endpointAt(user, '/credits', ['credits.low']);
    const organizationId = user.organization.id;
    await getDb().creditLedgerEntry.create({ data: { organizationId, kind: 'GRANT', amount: 150 } });
    await chargeUsage({ db: getDb(), organizationId, amount: 40, idempotencyKey: `low-1-${organizationId}`, memo: 'chat' });
    await chargeUsage({ db: getDb(), organizationId, amount: 20, idempotencyKey: `low-2-${organizationId}`, memo: 'chat' });
    await chargeUsage({ db: getDb(), organizationId, amount: 20, idempotencyKey: `low-3-${organizationId}`, memo: 'chat' });
    const [received] = await receiver.waitFor('/credits', 1);
    expect(received!.body).toMatchObject({ type: 'credits.low', data: { id: organizationId, balance: 90, threshold: 100 } });
    expect(await getDb().webhookEvent.count({ where: { organizationId, type: 'credits.low' } })).toBe(1);
  });

  it('sends credits.low when a job settles the balance under the threshold, not at its reservation', async () => {
    const user = await createTestUser();
    await endpointAt(user, '/settled', ['credits.low']);
    const db = getDb();
    const organizationId = user.organization.id;
    await db.creditLedgerEntry.create({ data: { organizationId, kind: 'GRANT', amount: 130 } });
    const jobId = `job-${organizationId}`;
    await reserveForJob({ db, organizationId, jobId, amount: 80, actor: {} });
    expect(await db.webhookEvent.count({ where: { organizationId } })).toBe(0);
    await settleJob({ db, organizationId, jobId, actualCost: 45 });
    const [received] = await receiver.waitFor('/settled', 1);
    expect(received!.body).toMatchObject({ type: 'credits.low', data: { balance: 85, threshold: 100 } });
    await settleJob({ db, organizationId, jobId, actualCost: 45 });
    expect(await db.webhookEvent.count({ where: { organizationId, type: 'credits.low' } })).toBe(1);
  });
});

describe('SSRF', () => {
  it('classifies private, loopback, link-local and other non-public addresses', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fc00::1', 'fd12::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '64:ff9b::a9fe:a9fe', '2001:db8::1']) {
      expect(isNonPublicAddress(address), address).toBe(true);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '93.184.215.14', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isNonPublicAddress(address), address).toBe(false);
    }
  });

  it('refuses non-public destinations when an endpoint is saved', async () => {
    const tenant = tenantOf(owner);
    for (const url of ['http://127.0.0.1:9/x', 'http://[::1]/x', 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.7/x', 'http://[::ffff:127.0.0.1]/x', 'http://localhost:3000/x', 'http://0x7f000001/x']) {
      await expect(createWebhookEndpoint({ tenant, input: { url, events: ['model.ready'] }, destination: { allowPrivate: false } }), url).rejects.toMatchObject({ details: { reason: 'webhook_destination_private' } });
    }
    // A host with one public and one private answer (DNS rebinding) is refused too.
    const mixed = async () => [{ address: '93.184.215.14', family: 4 }, { address: '127.0.0.1', family: 4 }];
    await expect(resolveDestination(new URL('http://rebind.example/x'), { allowPrivate: false, resolve: mixed })).rejects.toMatchObject({ details: { reason: 'webhook_destination_private' } });
    const nowhere = async () => [];
    await expect(resolveDestination(new URL('http://nowhere.example/x'), { allowPrivate: false, resolve: nowhere })).rejects.toMatchObject({ details: { reason: 'webhook_destination_unresolvable' } });
  });

  it('checks again at delivery, sending nothing to a destination that is no longer allowed', async () => {
    const { endpoint } = await endpointAt(owner, '/ssrf', ['model.ready']);
    // Rows written without a queue job, so this test's own call makes the one try.
    const db = getDb();
    const event = await db.webhookEvent.create({ data: { id: `evt_ssrf_${endpoint.id}`, organizationId: owner.organization.id, projectId: owner.project.id, type: 'model.ready', payload: { id: `evt_ssrf_${endpoint.id}`, object: 'event', type: 'model.ready', created_at: 0, data: { id: 'ft:x' } }, dedupeKey: `ssrf:${endpoint.id}` } });
    const delivery = await db.webhookDelivery.create({ data: { organizationId: owner.organization.id, projectId: owner.project.id, endpointId: endpoint.id, eventId: event.id } });
    const outcome = await deliverWebhook({ db, deliveryId: delivery.id, policy: { ...POLICY, allowPrivate: false, retryWindowMs: 0 }, boss });
    expect(outcome).toBe('failed');
    const tries = await db.webhookAttempt.findMany({ where: { deliveryId: delivery.id } });
    expect(tries).toHaveLength(1);
    expect(tries[0]).toMatchObject({ responseStatus: null, error: expect.stringMatching(/non-public address/) });
    expect(receiver.requests('/ssrf')).toHaveLength(0);
  });

  it('prunes the delivery log after its retention, cascading to deliveries and tries', async () => {
    const db = getDb();
    const { endpoint } = await endpointAt(owner, '/prune', ['model.ready']);
    const old = await db.webhookEvent.create({ data: { id: `evt_old_${endpoint.id}`, organizationId: owner.organization.id, projectId: owner.project.id, type: 'model.ready', payload: {}, dedupeKey: `old:${endpoint.id}`, createdAt: new Date(Date.now() - 31 * 24 * 3600_000) } });
    const delivery = await db.webhookDelivery.create({ data: { organizationId: owner.organization.id, projectId: owner.project.id, endpointId: endpoint.id, eventId: old.id, status: 'SUCCEEDED' } });
    expect(await pruneWebhookLog({ db, days: 30 })).toBeGreaterThanOrEqual(1);
    expect(await db.webhookDelivery.findUnique({ where: { id: delivery.id } })).toBeNull();
    expect(await db.webhookEndpoint.findUnique({ where: { id: endpoint.id } })).not.toBeNull();
  });

  it('spaces retries exponentially, at most 2 hours apart', () => {
    const policy = { retryBaseMs: 30_000, maxDelayMs: 2 * 3600_000 };
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, policy))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(retryDelayMs(12, policy)).toBe(2 * 3600_000);
  });
});
