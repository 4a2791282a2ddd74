// The serving services on the real database: name resolution (aliases, ft names, checkpoints,
// another tenant's models), one deployment per model under concurrent requests, lapsed runners,
// usage rows and charges; and the pure parts: the rate limiter and the event-stream relay.
import { describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { tenantDb, type TenantContext } from '@/server/db/tenant';
import { LatheError } from '@/server/services/errors';
import { createTestUser, type TestUser } from '@/tests/helpers/factories';
import { reapLapsedDeployments, requestDeployment, awaitReadyDeployment } from '@/server/services/serving/deployments';
import { RateLimiter } from '@/server/services/serving/rate-limit';
import { recordUsage } from '@/server/services/serving/record-usage';
import { resolveModel } from '@/server/services/serving/resolve-model';
import { relayEventStream } from '@/server/services/serving/serve-generation';
import { Prisma } from '@/server/generated/prisma/client';
import { listChatModels } from '@/server/services/serving/list-chat-models';
import { getJob, listCheckpoints } from '@/server/services/training/manage-jobs';
import { fineTunedModelName, toOpenAICheckpoint } from '@/server/services/training/openai-shapes';

const SHA = 'a'.repeat(64);

function tenantOf(user: TestUser): TenantContext {
  const scope = { organizationId: user.organization.id, projectId: user.project.id };
  return { db: tenantDb(scope), scope, actor: { userId: user.user.id } };
}

async function world() {
  const db = getDb();
  const owner = await createTestUser();
  const other = await createTestUser();
  const suffix = Math.random().toString(36).slice(2, 8);
  const base = await db.baseModel.create({
    data: { organizationId: owner.organization.id, name: `serve-base-${suffix}`, source: 'GGUF', status: 'READY', chatTemplate: true, artifacts: { hf: null, gguf: { type: 'F32', sha256: SHA, size: 1 } } },
  });
  const dataset = await db.dataset.create({ data: { organizationId: owner.organization.id, projectId: owner.project.id, name: 'x.jsonl', filename: 'x.jsonl', status: 'VALID' } });
  const job = await db.trainingJob.create({
    data: { organizationId: owner.organization.id, projectId: owner.project.id, baseModelId: base.id, trainingDatasetId: dataset.id, status: 'succeeded', hyperparameters: {}, seed: 1 },
  });
  const tuned = await db.fineTunedModel.create({
    data: { organizationId: owner.organization.id, projectId: owner.project.id, name: `ft:${base.name}:org:x:${job.id}`, baseModelId: base.id, jobId: job.id, artifacts: { gguf: { sha256: SHA, size: 1 } } },
  });
  await db.checkpoint.create({ data: { jobId: job.id, step: 10, artifacts: { files: { 'adapter_model.safetensors': { sha256: SHA, size: 1 }, 'adapter_config.json': { sha256: SHA, size: 1 } } } } });
  return { db, owner, other, base, job, tuned };
}

describe('resolveModel', () => {
  it('resolves base, fine-tuned, checkpoint and alias names in the project, and nothing of another tenant', async () => {
    const { db, owner, other, base, tuned } = await world();
    const tenant = tenantOf(owner);
    expect(await resolveModel({ db: tenant.db, name: base.name })).toMatchObject({ kind: 'base', name: base.name, adapter: null });
    expect(await resolveModel({ db: tenant.db, name: tuned.name })).toMatchObject({ kind: 'fine-tuned', adapter: { kind: 'fine-tuned', id: tuned.id } });
    const checkpoint = await resolveModel({ db: tenant.db, name: `${tuned.name}:ckpt-step-10` });
    expect(checkpoint).toMatchObject({ kind: 'checkpoint', baseModel: { id: base.id } });
    await db.modelAlias.create({ data: { organizationId: owner.organization.id, projectId: owner.project.id, name: 'prod', target: tuned.name } });
    expect(await resolveModel({ db: tenant.db, name: 'prod' })).toMatchObject({ requested: 'prod', alias: 'prod', name: tuned.name, kind: 'fine-tuned' });

    const outsider = tenantOf(other);
    for (const name of [base.name, tuned.name, `${tuned.name}:ckpt-step-10`, 'prod', `${tuned.name}:ckpt-step-11`, 'nothing']) {
      const error = await resolveModel({ db: (name.endsWith('-11') ? tenant : outsider).db, name }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LatheError);
      expect((error as LatheError).details).toMatchObject({ reason: 'model_not_found', param: 'model' });
    }
  });
});

describe('checkpoint names', () => {
  it('gives a running job\'s checkpoint the name it keeps once the job has its model, and that name resolves throughout', async () => {
    const { db, owner, other, base } = await world();
    const tenant = tenantOf(owner);
    const dataset = await db.dataset.findFirstOrThrow({ where: { organizationId: owner.organization.id } });
    const running = await db.trainingJob.create({
      data: { organizationId: owner.organization.id, projectId: owner.project.id, baseModelId: base.id, trainingDatasetId: dataset.id, status: 'running', suffix: 'live', hyperparameters: {}, seed: 1 },
    });
    await db.checkpoint.create({ data: { jobId: running.id, step: 5, artifacts: { files: { 'adapter_model.safetensors': { sha256: SHA, size: 1 } } } } });
    const listed = async () => (await listCheckpoints({ tenant, id: running.id })).checkpoints;
    const job = await getJob({ tenant, id: running.id });
    const before = toOpenAICheckpoint((await listed())[0]!, job).fine_tuned_model_checkpoint;
    expect(before).toBe(`ft:${base.name}:${owner.organization.slug}:live:${running.id}:ckpt-step-5`);
    expect(await resolveModel({ db: tenant.db, name: before })).toMatchObject({ kind: 'checkpoint', name: before, baseModel: { id: base.id } });
    // The playground's picker groups it under its job, named by the job's suffix.
    expect((await listChatModels({ tenant })).find((o) => o.id === before)).toEqual({ id: before, kind: 'checkpoint', baseModel: base.name, job: { id: `ftjob-${running.id}`, name: 'live' } });
    // Another tenant, a made-up job id and a name whose parts do not match the job are not found.
    for (const [who, name] of [
      [other, before],
      [owner, before.replace(running.id, 'nosuchjob')],
      [owner, before.replace(':live:', ':other:')],
    ] as const) {
      const error = await resolveModel({ db: tenantOf(who).db, name }).catch((e: unknown) => e);
      expect((error as LatheError).details).toMatchObject({ reason: 'model_not_found' });
    }

    // The job ends and publishes its model under the name its checkpoints already carried.
    const name = fineTunedModelName(base.name, owner.organization.slug, 'live', running.id);
    await db.fineTunedModel.create({ data: { organizationId: owner.organization.id, projectId: owner.project.id, name, baseModelId: base.id, jobId: running.id, artifacts: { gguf: { sha256: SHA, size: 1 } } } });
    const after = toOpenAICheckpoint((await listed())[0]!, await getJob({ tenant, id: running.id })).fine_tuned_model_checkpoint;
    expect(after).toBe(before);
    expect(await resolveModel({ db: tenant.db, name: after })).toMatchObject({ kind: 'checkpoint', name: after });
  });
});

describe('deployments', () => {
  it('creates one deployment for concurrent first requests, and requeues a lapsed runner\'s', async () => {
    const { db, base } = await world();
    const created = await Promise.all(Array.from({ length: 5 }, () => requestDeployment({ db, baseModelId: base.id })));
    expect(new Set(created.map((d) => d.id)).size).toBe(1);
    const runner = await db.runner.create({ data: { name: 'lost', hostname: 'h', gpus: [], memoryBytes: 1n, executor: 'process', lastHeartbeatAt: new Date(Date.now() - 120_000) } });
    await db.deployment.update({ where: { id: created[0]!.id }, data: { status: 'READY', runnerId: runner.id, endpoint: 'http://127.0.0.1:1' } });
    expect(await reapLapsedDeployments({ db, lapseMs: 30_000 })).toBeGreaterThanOrEqual(1);
    // A runner of a platform another test file started may claim it again at once.
    const requeued = await db.deployment.findUniqueOrThrow({ where: { id: created[0]!.id } });
    expect(requeued.runnerId).not.toBe(runner.id);
    expect(requeued.endpoint).not.toBe('http://127.0.0.1:1');
    await db.deployment.updateMany({ where: { baseModelId: base.id }, data: { status: 'STOPPED' } });
  });

  it('answers 503 model_loading when no runner picks the deployment up in time, and deployment_failed when it failed', async () => {
    const { db, base } = await world();
    // Held by a live runner that is still loading it, so no other runner claims it meanwhile.
    const runner = await db.runner.create({ data: { name: 'busy', hostname: 'h', gpus: [], memoryBytes: 1n, executor: 'process' } });
    await db.deployment.create({ data: { baseModelId: base.id, status: 'LOADING', runnerId: runner.id } });
    const loading = await awaitReadyDeployment({ db, baseModel: base, lapseMs: 30_000, deadline: Date.now() + 300 }).catch((e: unknown) => e);
    expect(loading).toMatchObject({ status: 503, code: 'model_loading' });
    await db.deployment.updateMany({ where: { baseModelId: base.id }, data: { status: 'FAILED', error: 'bad GGUF' } });
    const failed = await awaitReadyDeployment({ db, baseModel: base, lapseMs: 30_000, deadline: Date.now() + 300 }).catch((e: unknown) => e);
    expect(failed).toMatchObject({ status: 503, code: 'deployment_failed' });
    expect((failed as Error).message).toContain('bad GGUF');
  });
});

describe('recordUsage', () => {
  it('adds to one row per key, model and day and charges each request once', async () => {
    const { db, owner } = await world();
    const scope = { organizationId: owner.organization.id, projectId: owner.project.id };
    const usage = { prompt_tokens: 100_000, completion_tokens: 400_000 };
    const price = new Prisma.Decimal(2);
    await Promise.all([
      recordUsage({ db, scope, apiKeyId: null, model: 'm', usage, pricedModel: { parameters: null, inferencePricePerMillionTokens: price }, requestId: 'r1' }),
      recordUsage({ db, scope, apiKeyId: null, model: 'm', usage, pricedModel: { parameters: null, inferencePricePerMillionTokens: price }, requestId: 'r2' }),
    ]);
    const rows = await db.usageRecord.findMany({ where: { projectId: owner.project.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ requests: 2, promptTokens: 200_000n, completionTokens: 800_000n });
    const charges = await db.creditLedgerEntry.findMany({ where: { organizationId: owner.organization.id, kind: 'USAGE' } });
    expect(charges.map((c) => c.amount.toNumber()).sort()).toEqual([-1, -1]);
  });
});

describe('RateLimiter', () => {
  it('allows the limit per minute per caller and then answers with Retry-After', () => {
    const limiter = new RateLimiter(() => 2);
    limiter.take('a', 0);
    limiter.take('a', 1000);
    limiter.take('b', 1000);
    const error = (() => {
      try {
        limiter.take('a', 15_000);
      } catch (e) {
        return e as LatheError;
      }
    })();
    expect(error).toMatchObject({ code: 'TOO_MANY_REQUESTS', details: { retryAfterSeconds: 45, reason: 'rate_limit_exceeded' } });
    expect(() => limiter.take('a', 60_000)).not.toThrow();
  });
});

describe('relayEventStream', () => {
  it('passes complete events on as they come, renames the model and reports usage', async () => {
    const encoder = new TextEncoder();
    const events = [
      'data: {"id":"c1","model":"ft:x","choices":[{"delta":{"content":"say \\"model\\":\\"ft:x\\""}}]}\n\n',
      'data: {"id":"c1","model":"ft:x","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}\n\ndata: [DONE]\n\n',
    ];
    // Split mid-event: the relay must hold the half until its end arrives.
    const pieces = [events[0]!.slice(0, 20), events[0]!.slice(20), events[1]!];
    const upstream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = pieces.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(encoder.encode(next));
      },
    });
    const usages: unknown[] = [];
    let unreported = 0;
    const relayed = relayEventStream(upstream, { rename: { from: 'ft:x', to: 'prod' }, onUsage: async (usage, id) => void usages.push({ usage, id }), onUnreported: () => unreported++ });
    const reader = relayed.getReader();
    const chunks: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(new TextDecoder().decode(value));
    }
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toBe(events[0]!.replace('"model":"ft:x"', '"model":"prod"'));
    expect(chunks[0]).toContain('say \\"model\\":\\"ft:x\\"');
    expect(chunks[1]).toContain('"model":"prod"');
    expect(usages).toEqual([{ usage: { prompt_tokens: 3, completion_tokens: 2 }, id: 'c1' }]);
    expect(unreported).toBe(0);
  });

  it('says when a stream ends without its usage, cut short or cancelled by its reader', async () => {
    const encoder = new TextEncoder();
    const content = 'data: {"id":"c2","model":"m","choices":[{"delta":{"content":"hi"}}]}\n\n';
    let cancelled: unknown = null;
    const upstream = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode(content));
        },
        cancel(reason) {
          cancelled = reason;
        },
      });
    let unreported = 0;
    const options = { rename: null, onUsage: async () => {}, onUnreported: () => unreported++ };
    const reader = relayEventStream(upstream(), options).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe(content);
    await reader.cancel('client went away');
    expect(cancelled).toBe('client went away');
    expect(unreported).toBe(1);

    const cut = new ReadableStream<Uint8Array>({ start: (controller) => (controller.enqueue(encoder.encode(content)), controller.close()) });
    const drained = relayEventStream(cut, options).getReader();
    while (!(await drained.read()).done);
    expect(unreported).toBe(2);
  });
});
