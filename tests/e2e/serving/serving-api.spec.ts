// /v1/chat/completions and /v1/completions through the web app on a base model, with web and
// gpu-runner as real processes: the first request wakes the deployment; usage in answers and in
// the final stream chunk, recorded and charged; stream and non-stream agree; OpenAI-shaped
// 400/402/404/429; a client that goes away frees its slot and is charged for what was generated;
// the inference server killed in the middle of a request fails that request cleanly and the next
// one succeeds; a runner that dies hands its deployment to the next runner.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startPlatform, type Platform } from '@/scripts/lib/supervisor';
import { cachedTinyModel } from '@/gpu-runner/trainer/python';
import { getDb } from '@/server/db';
import { creditsForTokens } from '@/server/services/credits/price';
import { inferencePricePerMillion } from '@/lib/universal/price-book';
import { getPriceBook } from '@/server/services/billing/price-book';
import { eventually, importModel, inferenceClientFor, userWithKey } from '@/tests/helpers/serving';
import { useOwnDatabase } from '@/tests/helpers/own-database';

const RATE_LIMIT = 30;
const modelName = `tiny-serve-${Date.now()}`;
const runnerName = `serving-api-${Date.now()}`;
let platform: Platform;
let client: OpenAI;
let key: string;
const logs: string[] = [];
const question = [{ role: 'user' as const, content: 'What is the code for the lantern?' }];

// Its worker and runner processes must see only its own rows (tests/helpers/own-database.ts).
useOwnDatabase();

beforeAll(async () => {
  const modelDir = await cachedTinyModel();
  await importModel(modelDir, modelName);
  ({ key } = await userWithKey(1000));
  platform = await startPlatform({
    port: 0,
    processes: ['web', 'gpu-runner'],
    // A short lapse, so the runner killed below is presumed dead quickly (well above the runner's
    // heartbeat, even on a machine busy with the rest of the suite).
    env: { LOG_LEVEL: 'warn', LATHE_EXECUTOR: 'process', LATHE_RATE_LIMIT_RPM: String(RATE_LIMIT), RUNNER_SERVING_THREADS: '1', RUNNER_LAPSE_MS: '20000', RUNNER_NAME: runnerName },
    log: (l) => logs.push(l),
  });
  client = new OpenAI({ apiKey: key, baseURL: `${platform.url}/v1`, maxRetries: 0 });
}, 600_000);

afterAll(async () => {
  await platform?.stop();
});

const post = (path: string, body: string, apiKey = key, signal?: AbortSignal) =>
  fetch(`${platform.url}/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body, signal });

/** Streams a 400-token reply and goes away after `chunks` chunks; resolves with the chunks read. */
async function abandonStream(openai: OpenAI, chunks: number) {
  const controller = new AbortController();
  const stream = await openai.chat.completions.create(
    { model: modelName, messages: question, max_tokens: 400, stream: true, ignore_eos: true } as OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming,
    { signal: controller.signal },
  );
  let read = 0;
  await (async () => {
    for await (const _chunk of stream) if (++read === chunks) controller.abort();
  })().catch(() => undefined);
  return read;
}

/** The one usage row of an organization and its charge, once the platform has recorded them. */
async function chargedUsage(organizationId: string) {
  const db = getDb();
  const charge = await eventually(() => db.creditLedgerEntry.findFirst({ where: { organizationId, kind: 'USAGE' } }), 20_000, 'the usage charge');
  const row = await db.usageRecord.findFirstOrThrow({ where: { organizationId } });
  expect(row.requests).toBe(1);
  const model = await db.baseModel.findFirstOrThrow({ where: { name: modelName } });
  const price = inferencePricePerMillion(await getPriceBook({ db }), model);
  return { row, charge: charge.amount, price };
}

afterEach(({ task }) => {
  // The platform's own output explains most failures here.
  if (task.result?.state === 'fail') console.log(logs.slice(-60).join('\n'));
});

describe('serving through /v1', () => {
  it('wakes the model on the first request and answers with usage, under the requested name', async () => {
    const reply = await client.chat.completions.create({ model: modelName, messages: question, max_tokens: 12, temperature: 0 });
    expect(reply.object).toBe('chat.completion');
    expect(reply.model).toBe(modelName);
    expect(reply.choices[0]!.message.role).toBe('assistant');
    expect(reply.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(reply.usage!.completion_tokens).toBeGreaterThan(0);
    const deployment = await getDb().deployment.findFirstOrThrow({ where: { baseModel: { name: modelName } } });
    expect(deployment.status).toBe('READY');
    expect(deployment.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  }, 180_000);

  it('streams the same reply as the plain answer for a fixed seed, with usage in the final chunk', async () => {
    const params = { model: modelName, messages: question, max_tokens: 16, temperature: 0.8, seed: 42 };
    const plain = await client.chat.completions.create(params);
    const stream = await client.chat.completions.create({ ...params, stream: true });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    const models = new Set<string>();
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      models.add(chunk.model);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(plain.choices[0]!.message.content);
    expect([...models]).toEqual([modelName]);
    expect(usage).toEqual(plain.usage);
  });

  it('serves /v1/completions', async () => {
    const reply = await client.completions.create({ model: modelName, prompt: 'The code for the river is', max_tokens: 8, temperature: 0 });
    expect(reply.object).toBe('text_completion');
    expect(reply.model).toBe(modelName);
    expect(reply.usage!.completion_tokens).toBeGreaterThan(0);
  });

  it('records usage per key, model and day and charges it to the ledger', async () => {
    const db = getDb();
    const apiKey = await db.apiKey.findFirstOrThrow({ where: { prefix: key.slice(0, 12) } });
    const rows = await eventually(async () => {
      const found = await db.usageRecord.findMany({ where: { apiKeyId: apiKey.id, model: modelName } });
      return found.length === 1 && found[0]!.requests >= 4 ? found : null;
    }, 10_000, 'usage rows');
    expect(Number(rows[0]!.promptTokens)).toBeGreaterThan(0);
    expect(Number(rows[0]!.completionTokens)).toBeGreaterThan(0);
    const charges = await db.creditLedgerEntry.findMany({ where: { organizationId: apiKey.organizationId, kind: 'USAGE' } });
    expect(charges.length).toBeGreaterThanOrEqual(4);
    expect(charges.every((c) => c.amount.isNegative() && c.idempotencyKey?.startsWith('usage:'))).toBe(true);
  });

  it('answers unknown models with 404 model_not_found', async () => {
    const error = await client.chat.completions.create({ model: 'no-such-model', messages: question }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('answers malformed bodies with 400, never 500', async () => {
    const broken = await post('/chat/completions', '{"model":');
    expect(broken.status).toBe(400);
    expect((await broken.json()).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    const missing = await post('/chat/completions', JSON.stringify({ model: modelName }));
    expect(missing.status).toBe(400);
    expect((await missing.json()).error).toMatchObject({ param: 'messages', code: 'missing_required_parameter' });
    const wrong = await client.chat.completions.create({ model: modelName, messages: question, temperature: 7 }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(OpenAI.BadRequestError);
    expect((wrong as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('temperature');
    const array = await post('/completions', '[1, 2]');
    expect(array.status).toBe(400);
  });

  it('answers 402 insufficient_quota when the organization has no credits', async () => {
    const poor = await userWithKey(null);
    const broke = new OpenAI({ apiKey: poor.key, baseURL: `${platform.url}/v1`, maxRetries: 0 });
    const error = await broke.chat.completions.create({ model: modelName, messages: question }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('insufficient_quota');
  });

  it('answers 429 with Retry-After once a key passes its requests per minute', async () => {
    const busy = await userWithKey(10);
    const statuses: number[] = [];
    let limited: Response | null = null;
    for (let i = 0; i <= RATE_LIMIT; i++) {
      const res = await post('/chat/completions', JSON.stringify({ model: 'no-such-model', messages: question }), busy.key);
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.slice(0, RATE_LIMIT).every((s) => s === 404)).toBe(true);
    expect(limited).not.toBeNull();
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited!.json()).error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
  });

  it('frees the slot when the client goes away in the middle of a stream', async () => {
    const inference = await inferenceClientFor(modelName);
    const before = (await inference.health()).requests.aborted;
    expect(await abandonStream(client, 3)).toBe(3);
    const health = await eventually(async () => {
      const h = await inference.health();
      return h.queue.running === 0 && h.requests.aborted > before ? h : null;
    }, 10_000, 'the aborted generation to stop');
    expect(health.queue.waiting).toBe(0);
  });

  it('charges a stream its client abandons for the tokens generated, prompt included', async () => {
    const { user, key: ownKey } = await userWithKey(1000);
    const own = new OpenAI({ apiKey: ownKey, baseURL: `${platform.url}/v1`, maxRetries: 0 });
    const promptTokens = (await client.chat.completions.create({ model: modelName, messages: question, max_tokens: 1 })).usage!.prompt_tokens;
    await abandonStream(own, 4);
    const usage = await chargedUsage(user.organization.id);
    expect(Number(usage.row.promptTokens)).toBe(promptTokens);
    // The opening chunk carries no token; every other one carried at least one.
    expect(Number(usage.row.completionTokens)).toBeGreaterThanOrEqual(3);
    expect(Number(usage.row.completionTokens)).toBeLessThan(400);
    const expected = creditsForTokens(usage.row.promptTokens, usage.price.prompt).plus(creditsForTokens(usage.row.completionTokens, usage.price.completion));
    expect(usage.charge.toNumber()).toBeCloseTo(-expected.toNumber(), 6);
  });

  it('charges a plain request its client abandons for the tokens generated', async () => {
    const { user, key: ownKey } = await userWithKey(1000);
    const inference = await inferenceClientFor(modelName);
    const controller = new AbortController();
    const request = post('/completions', JSON.stringify({ model: modelName, prompt: 'The code for the river is', max_tokens: 400, ignore_eos: true }), ownKey, controller.signal).catch(() => null);
    await eventually(async () => (await inference.health()).queue.running === 1, 20_000, 'the generation to start');
    controller.abort();
    await request;
    const usage = await chargedUsage(user.organization.id);
    expect(Number(usage.row.promptTokens)).toBeGreaterThan(0);
    expect(Number(usage.row.completionTokens)).toBeGreaterThan(0);
    expect(Number(usage.row.completionTokens)).toBeLessThan(400);
  });

  it('fails a request whose inference server is killed mid-stream, and serves the next one', async () => {
    const inference = await inferenceClientFor(modelName);
    const { pid } = await inference.health();
    const stream = await client.chat.completions.create({ model: modelName, messages: question, max_tokens: 400, stream: true, ignore_eos: true } as OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming);
    let chunks = 0;
    const failure = await (async () => {
      for await (const _chunk of stream) if (++chunks === 3) process.kill(pid, 'SIGKILL');
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).message).toMatch(/inference server/i);
    const next = await client.chat.completions.create({ model: modelName, messages: question, max_tokens: 8, temperature: 0 });
    expect(next.usage!.completion_tokens).toBeGreaterThan(0);
    expect((await inference.health()).pid).not.toBe(pid);
  }, 120_000);

  it('moves the deployment to another runner when its runner dies', async () => {
    const db = getDb();
    const dead = await db.runner.findFirstOrThrow({ where: { name: runnerName }, orderBy: { createdAt: 'desc' } });
    // In a full test run another file's runner may hold this deployment; then it simply stays there.
    const before = await db.deployment.findFirstOrThrow({ where: { status: 'READY', baseModel: { name: modelName } } });
    platform.children.get('gpu-runner')!.kill('SIGKILL');
    // Its inference server notices its parent is gone and exits once running requests finish.
    await eventually(async () => !(await fetch(`${before.endpoint}/health`).then(() => true, () => false)), 20_000, 'the orphaned inference server to exit');
    // The supervisor starts a new runner; the web app finds the old one lapsed and requeues.
    const reply = await client.chat.completions.create({ model: modelName, messages: question, max_tokens: 8, temperature: 0 });
    expect(reply.usage!.completion_tokens).toBeGreaterThan(0);
    const after = await db.deployment.findFirstOrThrow({ where: { status: 'READY', baseModel: { name: modelName } }, orderBy: { updatedAt: 'desc' } });
    expect(after.runnerId).not.toBe(dead.id);
    if (before.runnerId === dead.id) expect(after.id).toBe(before.id);
    expect(await db.deployment.count({ where: { runnerId: dead.id, status: { in: ['LOADING', 'READY'] } } })).toBe(0);
  }, 150_000);
});
