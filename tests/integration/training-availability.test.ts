// Job creation when the runners online cannot train: tRPC, the OpenAI-compatible route and the
// Jobs page's status all say so (503, `trainer_unavailable`) and nothing is created or charged.
// Runner rows are written as gpu-runner/main.ts writes them; the file has a database of its own,
// since a runner that cannot train would refuse other files' jobs too.
import { createHash } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useOwnDatabase } from '@/tests/helpers/own-database';
import { POST as createJobRoute } from '@/app/v1/fine_tuning/jobs/route';
import { getDb } from '@/server/db';
import { stopBoss } from '@/server/queue/boss';
import { getBalance, grantCredits } from '@/server/services/credits/credits';
import { toApiFileId } from '@/server/services/training/openai-shapes';
import { callerFor, createTestKey, createTestUser, type TestUser } from '@/tests/helpers/factories';

useOwnDatabase();

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
let owner: TestUser;
let key: string;
let request: { model: string; training_file: string };

async function runner(name: string, fields: { trainerProblem?: string; trainerFix?: string; lastHeartbeatAt?: Date; status?: 'ONLINE' | 'OFFLINE' } = {}) {
  return getDb().runner.create({ data: { name, hostname: name, gpus: [], memoryBytes: 1n << 34n, executor: 'process', status: 'ONLINE', ...fields } });
}

const post = (body: unknown) =>
  createJobRoute(
    new Request('http://lathe.test/v1/fine_tuning/jobs', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    { params: Promise.resolve({}) },
  );

beforeAll(async () => {
  const db = getDb();
  owner = await createTestUser();
  key = await createTestKey(owner);
  const scope = { organizationId: owner.organization.id, projectId: owner.project.id };
  const model = await db.baseModel.create({
    data: {
      ...scope,
      name: `tiny-availability-${Date.now()}`,
      source: 'FOLDER',
      status: 'READY',
      details: { trainable: true },
      artifacts: { hf: { files: { 'config.json': { sha256: sha('config'), size: 512 } } }, gguf: { sha256: sha('gguf'), size: 4096, type: 'F32' } },
    },
  });
  const dataset = await db.dataset.create({ data: { ...scope, name: 'train', filename: 'train.jsonl', status: 'VALID', format: 'chat', sizeBytes: 4096n, sha256: sha('train'), examples: 40 } });
  await grantCredits({ db, organizationId: owner.organization.id, amount: 10, actor: { userId: null } });
  request = { model: model.name, training_file: toApiFileId(dataset.id) };
});

afterAll(async () => {
  await stopBoss();
});

describe('training availability', () => {
  it('queues jobs as before while no runner is online', async () => {
    expect(await callerFor(owner).job.trainingStatus()).toEqual({ available: true, runners: 0 });
    const res = await post(request);
    expect(res.status).toBe(200);
    expect((await res.json()).status).toBe('validating_files');
  });

  it('refuses with trainer_unavailable, creating and charging nothing, when every runner online cannot train', async () => {
    const db = getDb();
    await runner('gpu-a', { trainerProblem: 'LATHE_PYTHON=/usr/bin/false is not a working Python interpreter (it exited with code 1)', trainerFix: 'unset LATHE_PYTHON' });
    // Neither a runner that went offline nor one whose heartbeat lapsed counts.
    await runner('gpu-gone', { status: 'OFFLINE' });
    await runner('gpu-lapsed', { lastHeartbeatAt: new Date(Date.now() - 10 * 60_000) });
    const jobsBefore = await db.trainingJob.count();
    const balanceBefore = await getBalance({ db, organizationId: owner.organization.id });

    expect(await callerFor(owner).job.trainingStatus()).toEqual({
      available: false,
      runners: 1,
      runner: 'gpu-a',
      reason: 'LATHE_PYTHON=/usr/bin/false is not a working Python interpreter (it exited with code 1)',
      fix: 'unset LATHE_PYTHON',
    });

    const message = 'Training is unavailable: LATHE_PYTHON=/usr/bin/false is not a working Python interpreter (it exited with code 1) on runner gpu-a. Fix: unset LATHE_PYTHON';
    const res = await post(request);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { message, type: 'server_error', param: null, code: 'trainer_unavailable' } });

    const refused = await callerFor(owner).job.create(request).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TRPCError);
    expect(refused).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message });

    expect(await db.trainingJob.count()).toBe(jobsBefore);
    expect(await getBalance({ db, organizationId: owner.organization.id })).toBe(balanceBefore);
    expect(await db.creditLedgerEntry.count({ where: { organizationId: owner.organization.id, kind: { not: 'GRANT' } } })).toBe(0);
  });

  it('accepts jobs again as soon as one runner online can train', async () => {
    await runner('gpu-b');
    expect(await callerFor(owner).job.trainingStatus()).toEqual({ available: true, runners: 2 });
    const res = await post(request);
    expect(res.status).toBe(200);
  });
});
