// Training jobs under failure, on real web, worker and two gpu-runner processes sharing one queue:
// insufficient credits, malformed queue payloads, a trainer error, the kernel's OOM killer, two
// runners draining one queue, cancel (running and queued) with what the ledger charges, and a
// runner killed with SIGKILL whose job resumes on the other runner from its last checkpoint.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { PgBoss } from 'pg-boss';
import { startPlatform, type ChildName, type Platform } from '@/scripts/lib/supervisor';
import { cachedTinyModel } from '@/gpu-runner/trainer/python';
import { createTestKey, createTestUser } from '@/tests/helpers/factories';
import { learningCheckChats, type Chat } from '@/tests/helpers/learning-check';
import { getDb } from '@/server/db';
import { grantCredits } from '@/server/services/credits/credits';
import { fromApiJobId } from '@/server/services/training/openai-shapes';
import { requestModelImport } from '@/server/services/model-registry/request-model-import';
import { runModelImport } from '@/server/services/model-registry/run-model-import';
import { useOwnDatabase } from '@/tests/helpers/own-database';

const stamp = Date.now();
const modelName = `tiny-fail-${stamp}`;
const yarnModelName = `tiny-yarn-${stamp}`;
const logs: string[] = [];
let platform: Platform;
let chats: Chat[];
let trainingJsonl: string;
let boss: PgBoss;

type Account = { client: OpenAI; organizationId: string; fileId: string };

/** A user with a key, `credits` granted (none for 0), and the training file uploaded. */
async function account(credits: string): Promise<Account> {
  const user = await createTestUser();
  const key = await createTestKey(user);
  if (credits !== '0') await grantCredits({ db: getDb(), organizationId: user.organization.id, amount: credits, actor: { userId: null } });
  const client = new OpenAI({ apiKey: key, baseURL: `${platform.url}/v1`, maxRetries: 0 });
  const file = await client.files.create({ file: await toFile(Buffer.from(trainingJsonl), 'codes.jsonl'), purpose: 'fine-tune' });
  return { client, organizationId: user.organization.id, fileId: file.id };
}

const tail = () => logs.slice(-40).join('\n');

async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))} after ${timeoutMs / 1000} s\n${tail()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

const FINAL = ['succeeded', 'failed', 'cancelled'];
const jobRow = (apiId: string) => getDb().trainingJob.findUniqueOrThrow({ where: { id: fromApiJobId(apiId) } });
const waitForStatus = (client: OpenAI, id: string, statuses: string[], timeoutMs: number) =>
  until(`job ${id}`, () => client.fineTuning.jobs.retrieve(id), (job) => statuses.includes(job.status), timeoutMs);

async function ledger(jobApiId: string) {
  const entries = await getDb().creditLedgerEntry.findMany({ where: { jobId: fromApiJobId(jobApiId) } });
  const sum = (kind: string) => entries.filter((e) => e.kind === kind).reduce((total, e) => total + Number(e.amount), 0);
  return { entries, reserved: -sum('RESERVATION'), released: sum('SETTLEMENT'), net: entries.reduce((total, e) => total + Number(e.amount), 0) };
}

async function balance(organizationId: string) {
  const { _sum } = await getDb().creditLedgerEntry.aggregate({ where: { organizationId }, _sum: { amount: true } });
  return Number(_sum.amount ?? 0);
}

async function eventMessages(jobApiId: string) {
  const rows = await getDb().jobEvent.findMany({ where: { jobId: fromApiJobId(jobApiId) }, orderBy: { seq: 'asc' } });
  return rows.map((r) => r.message);
}

/** The pid of the trainer process running this job (found by its workspace path on the command line). */
function trainerPid(jobApiId: string): number | null {
  const needle = `/jobs/${fromApiJobId(jobApiId)}/`;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('lathe_trainer') && cmdline.includes(needle)) return Number(entry);
    } catch {
      // exited meanwhile
    }
  }
  return null;
}

/** The supervisor's child that registered as this Runner (RUNNER_NAME ends in its index). */
async function runnerChild(runnerId: string): Promise<ChildName> {
  const runner = await getDb().runner.findUniqueOrThrow({ where: { id: runnerId } });
  const index = Number(runner.name.split('-').at(-1));
  return index === 1 ? 'gpu-runner' : `gpu-runner-${index}`;
}

/** Imports a platform-wide model as `lathe models import` does, in this process. */
async function importModel(dir: string, name: string) {
  const db = getDb();
  const model = await requestModelImport({ admin: { db, actor: { userId: null } }, source: { kind: 'folder', dir }, name, scope: 'platform', enqueue: false });
  expect(await runModelImport(model.id, { db })).toMatchObject({ status: 'READY' });
}

// Its worker and runner processes must see only its own rows (tests/helpers/own-database.ts).
useOwnDatabase();

beforeAll(async () => {
  const t0 = Date.now();
  const modelDir = await cachedTinyModel();
  // The same weights with YaRN RoPE scaling: the importer and llama.cpp take it, the trainer does
  // not. The import marks it not trainable, so jobs on it are refused up front; a row imported
  // before that check existed still reaches the trainer, which fails with its own error code.
  const yarnDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-yarn-model-'));
  fs.cpSync(modelDir, yarnDir, { recursive: true });
  const config = JSON.parse(fs.readFileSync(path.join(yarnDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(yarnDir, 'config.json'), JSON.stringify({ ...config, rope_scaling: { rope_type: 'yarn', factor: 2.0, original_max_position_embeddings: 512 } }));

  const [, , started, loadedChats] = await Promise.all([
    importModel(modelDir, modelName),
    importModel(yarnDir, yarnModelName),
    startPlatform({
      port: 0,
      runners: 2,
      restart: false,
      env: { LOG_LEVEL: 'warn', LATHE_EXECUTOR: 'process', RUNNER_CPUS: '1', RUNNER_HEARTBEAT_MS: '1000', RUNNER_LAPSE_MS: '4000' },
      log: (l) => logs.push(l),
    }),
    learningCheckChats(),
  ]);
  platform = started;
  chats = loadedChats;
  trainingJsonl = chats.map((messages) => JSON.stringify({ messages })).join('\n') + '\n';
  boss = new PgBoss({ connectionString: platform.databaseUrl, schema: 'pgboss', max: 2 });
  boss.on('error', (error) => logs.push(`test pg-boss: ${String(error)}`));
  await boss.start();
  await until('two runners online', () => getDb().runner.count({ where: { status: 'ONLINE', lastHeartbeatAt: { gt: new Date(Date.now() - 3000) } } }), (n) => n >= 2, 60_000, 500);
  console.log(`setup: ${Math.round((Date.now() - t0) / 1000)} s`);
}, 600_000);

afterAll(async () => {
  await boss?.stop({ graceful: false });
  await platform?.stop();
});

describe('training jobs under failure', () => {
  it('fails a job whose estimate exceeds the balance in validating_files, reserving and queueing nothing', async () => {
    const poor = await account('0.000001');
    const created = await poor.client.fineTuning.jobs.create({ model: modelName, training_file: poor.fileId, hyperparameters: { n_epochs: 3, batch_size: 8 } });
    expect(created.status).toBe('validating_files');
    const job = await waitForStatus(poor.client, created.id, FINAL, 60_000);
    expect(job.status).toBe('failed');
    expect(job.error?.code).toBe('insufficient_credits');
    const [, estimate, balanceText] = /estimated at (\d+(?:\.\d+)?) credits and the balance is (\d+(?:\.\d+)?)\./.exec(job.error?.message ?? '') ?? [];
    expect(Number(estimate), job.error?.message).toBeGreaterThan(Number(balanceText));
    expect(Number(balanceText), job.error?.message).toBe(0.000001);
    expect((await ledger(created.id)).entries).toEqual([]);
    expect(await balance(poor.organizationId)).toBeCloseTo(0.000001, 9);
    expect(await boss.findJobs('job.train', { data: { payload: { jobId: fromApiJobId(created.id) } } })).toEqual([]);
    const events = await poor.client.fineTuning.jobs.listEvents(created.id);
    expect(events.data[0]).toMatchObject({ level: 'error', message: job.error?.message });
  });

  it('answers 402 in OpenAI\'s shape at once when the organization has no credits', async () => {
    const broke = await account('0');
    const started = Date.now();
    const error = await broke.client.fineTuning.jobs.create({ model: modelName, training_file: broke.fileId }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(402);
    expect(apiError.type).toBe('insufficient_quota');
    expect(apiError.code).toBe('insufficient_quota');
    expect(apiError.message).toMatch(/no credits/);
    expect((await broke.client.fineTuning.jobs.list()).data).toEqual([]);
  });

  it('fails malformed job.train and job.prepare payloads without retries, and the processes keep running', async () => {
    const sent = await Promise.all([
      boss.send('job.train', { v: 1, payload: { jobId: 'no-attempt' } }),
      boss.send('job.train', { v: 99, payload: { jobId: 'x', attempt: 1 } }),
      boss.send('job.prepare', { v: 1, payload: { jobId: '' } }),
      boss.send('job.prepare', null),
    ]);
    const queues = ['job.train', 'job.train', 'job.prepare', 'job.prepare'];
    for (const [i, id] of sent.entries()) {
      const job = await until(`${queues[i]} ${id}`, async () => (await boss.findJobs(queues[i]!, { id: id! }))[0], (j) => j?.state === 'failed' || (j?.retryCount ?? 0) > 0, 30_000);
      expect(job?.state).toBe('failed');
      expect(job?.retryCount).toBe(0);
      expect((job?.output as { message?: string } | undefined)?.message).toMatch(new RegExp(`^${queues[i]!.replace('.', '\\.')}: `));
    }
    for (const [name, child] of platform.children) expect(child.exitCode, `${name} exited`).toBeNull();
  });

  it('refuses a job on a model the trainer cannot fine-tune, with the reason', async () => {
    const user = await account('100');
    const refused = await user.client.fineTuning.jobs.create({ model: yarnModelName, training_file: user.fileId }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('model_not_trainable');
    expect((refused as Error).message).toMatch(/can be served but not fine-tuned: its YaRN RoPE scaling/);
    expect(await balance(user.organizationId)).toBe(100);
  });

  it('fails a job with the trainer\'s own error code and message', async () => {
    const user = await account('100');
    // As imported before the registry knew the trainer refuses YaRN.
    const yarn = await getDb().baseModel.findFirstOrThrow({ where: { name: yarnModelName } });
    await getDb().baseModel.update({ where: { id: yarn.id }, data: { details: { ...(yarn.details as object), trainable: true, trainingBlocker: undefined } } });
    const created = await user.client.fineTuning.jobs.create({ model: yarnModelName, training_file: user.fileId, hyperparameters: { n_epochs: 1, batch_size: 8 } });
    const job = await waitForStatus(user.client, created.id, FINAL, 90_000);
    expect(job.status).toBe('failed');
    expect(job.error?.code).toBe('invalid_model_config');
    expect(job.error?.message).toMatch(/rope_scaling type 'yarn' is not supported/);
    expect(await eventMessages(created.id)).toContain(`Fine-tuning failed: ${job.error?.message}`);
    const { net } = await ledger(created.id);
    expect(net).toBe(0);
    expect(await balance(user.organizationId)).toBe(100);
  });

  it('runs several jobs submitted at once on both runners, each exactly once', async () => {
    const fleet = await account('100');
    const created = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        fleet.client.fineTuning.jobs.create({ model: modelName, training_file: fleet.fileId, suffix: `fleet${i}`, seed: i, hyperparameters: { n_epochs: 2, batch_size: 8 } }),
      ),
    );
    const finished = await Promise.all(created.map((job) => waitForStatus(fleet.client, job.id, FINAL, 180_000)));
    for (const job of finished) {
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      expect(job.fine_tuned_model).toMatch(/^ft:/);
    }
    const rows = await Promise.all(created.map((job) => jobRow(job.id)));
    expect(new Set(rows.map((r) => r.runnerId)).size).toBe(2);
    expect(rows.every((r) => r.runnerId !== null && r.attempt === 1)).toBe(true);
    for (const job of created) {
      const id = fromApiJobId(job.id);
      expect(await getDb().fineTunedModel.count({ where: { jobId: id } })).toBe(1);
      const { entries } = await ledger(job.id);
      expect(entries.filter((e) => e.kind === 'RESERVATION')).toHaveLength(1);
      expect(entries.filter((e) => e.kind === 'SETTLEMENT')).toHaveLength(1);
      const messages = await eventMessages(job.id);
      expect(messages.filter((m) => m === 'Fine-tuning job started.')).toHaveLength(1);
      expect(messages.filter((m) => m.startsWith('New fine-tuned model created'))).toHaveLength(1);
    }
    const trainJobs = await boss.findJobs('job.train', { data: { payload: { jobId: fromApiJobId(created[0]!.id) } } });
    expect(trainJobs.map((j) => [j.state, j.retryCount])).toEqual([['completed', 0]]);
  });

  it('fails a job with out_of_memory when the kernel kills its trainer', async () => {
    const user = await account('100');
    const created = await user.client.fineTuning.jobs.create({ model: modelName, training_file: user.fileId, hyperparameters: { n_epochs: 100, batch_size: 1 } });
    await until('a running trainer', async () => trainerPid(created.id), (pid) => pid !== null, 90_000);
    await until('training progress', () => jobRow(created.id), (row) => ((row.progress as { step?: number } | null)?.step ?? 0) >= 1, 60_000);
    // The OOM killer sends SIGKILL to the process itself, not to its group.
    process.kill(trainerPid(created.id)!, 'SIGKILL');
    const job = await waitForStatus(user.client, created.id, FINAL, 30_000);
    expect(job.status).toBe('failed');
    expect(job.error?.code).toBe('out_of_memory');
    expect(job.error?.message).toMatch(/ran out of memory/);
    expect((await ledger(created.id)).net).toBe(0);
  });

  it('cancels a running job into a checkpoint and charges only its completed steps; a queued job costs nothing', async () => {
    const user = await account('100');
    const long = { model: modelName, training_file: user.fileId, hyperparameters: { n_epochs: 100, batch_size: 1 } };
    const [x, y] = await Promise.all([user.client.fineTuning.jobs.create(long), user.client.fineTuning.jobs.create(long)]);
    await Promise.all([x!, y!].map((job) => waitForStatus(user.client, job.id, ['running'], 90_000)));
    const z = await user.client.fineTuning.jobs.create(long);
    await waitForStatus(user.client, z.id, ['queued'], 60_000);
    const reservedZ = (await ledger(z.id)).reserved;
    expect(reservedZ).toBeGreaterThan(0);

    const cancelledZ = await user.client.fineTuning.jobs.cancel(z.id);
    expect(cancelledZ.status).toBe('cancelled');
    expect(await ledger(z.id)).toMatchObject({ reserved: reservedZ, released: reservedZ, net: 0 });
    expect(await eventMessages(z.id)).toContain('Job cancelled before it started.');

    await until('steps done by the first job', () => jobRow(x!.id), (row) => ((row.progress as { step?: number } | null)?.step ?? 0) >= 3, 60_000);
    const requested = Date.now();
    const cancelling = await user.client.fineTuning.jobs.cancel(x!.id);
    expect(['running', 'cancelled']).toContain(cancelling.status);
    const cancelled = await waitForStatus(user.client, x!.id, FINAL, 20_000);
    expect(cancelled.status).toBe('cancelled');
    expect(Date.now() - requested).toBeLessThan(15_000);

    const messages = await eventMessages(x!.id);
    const step = Number(/^Job cancelled at step (\d+)/.exec(messages.find((m) => m.startsWith('Job cancelled at step')) ?? '')?.[1]);
    expect(step).toBeGreaterThanOrEqual(3);
    // SIGTERM made the trainer checkpoint the step it stopped at; the runner stored it.
    expect(messages).toContain(`Checkpoint saved at step ${step}.`);
    const checkpoint = await getDb().checkpoint.findUnique({ where: { jobId_step: { jobId: fromApiJobId(x!.id), step } } });
    expect(checkpoint).not.toBeNull();
    expect((await user.client.fineTuning.jobs.checkpoints.list(x!.id)).data.map((c) => c.step_number)).toContain(step);

    const row = await jobRow(x!.id);
    const { reserved, released, net } = await ledger(x!.id);
    const charged = reserved - released;
    expect(charged).toBeGreaterThan(0);
    expect(charged).toBeLessThan(reserved);
    // Only completed steps: the trained tokens the runner recorded, at the price the job was reserved at.
    const reservation = await getDb().creditLedgerEntry.findUniqueOrThrow({ where: { idempotencyKey: `reserve:${fromApiJobId(x!.id)}` } });
    expect(charged).toBeCloseTo((Number(row.trainedTokens) * reservation.unitPrice!.toNumber()) / 1_000_000, 6);
    expect(net).toBeCloseTo(-charged, 9);

    await user.client.fineTuning.jobs.cancel(y!.id);
    await waitForStatus(user.client, y!.id, FINAL, 20_000);
    const chargedY = -(await ledger(y!.id)).net;
    expect(await balance(user.organizationId)).toBeCloseTo(100 - charged - chargedY, 6);
  });

  it('resumes a job from its last checkpoint on the other runner after its runner is killed', async () => {
    const user = await account('100');
    const created = await user.client.fineTuning.jobs.create({ model: modelName, training_file: user.fileId, suffix: 'resumed', hyperparameters: { n_epochs: 20, batch_size: 8 } });
    const running = await until('a stored checkpoint', () => jobRow(created.id), (row) => row.status === 'running' && (row.lastCheckpointStep ?? 0) > 0, 120_000, 100);
    const killedRunner = running.runnerId!;
    const victim = platform.children.get(await runnerChild(killedRunner))!;
    const trainer = trainerPid(created.id);
    // The whole host is gone: the runner first (so it never sees its trainer die), then the trainer's group.
    victim.kill('SIGKILL');
    if (trainer) process.kill(-trainer, 'SIGKILL');
    const checkpointStep = (await jobRow(created.id)).lastCheckpointStep!;

    const job = await waitForStatus(user.client, created.id, FINAL, 180_000);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const row = await jobRow(created.id);
    expect(row.attempt).toBe(2);
    expect(row.runnerId).not.toBeNull();
    expect(row.runnerId).not.toBe(killedRunner);
    expect(await getDb().fineTunedModel.count({ where: { jobId: row.id } })).toBe(1);
    expect((await getDb().runner.findUniqueOrThrow({ where: { id: killedRunner } })).status).toBe('OFFLINE');

    const messages = await eventMessages(created.id);
    const requeued = messages.find((m) => m.startsWith('The runner stopped responding'));
    expect(requeued).toBe(`The runner stopped responding; the job is back in the queue and will resume from step ${checkpointStep}.`);
    expect(messages).toContain(`Resuming from the checkpoint at step ${checkpointStep}.`);
    expect(messages.indexOf(`Resuming from the checkpoint at step ${checkpointStep}.`)).toBeGreaterThan(messages.indexOf(requeued!));
    const { entries } = await ledger(created.id);
    expect(entries.filter((e) => e.kind === 'SETTLEMENT')).toHaveLength(1);
  });
});
