// Many LoRA adapters on one base: two adapters trained by the real trainer on disjoint question
// sets, served concurrently from one server process with fewer contexts than model names.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInferenceServer, type InferenceServerHandle } from './supervisor';
import { cachedInferenceFixture, type InferenceFixture, type QaPair } from '../../tests/kit/inference/fixtures';

let fixture: InferenceFixture;
let server: InferenceServerHandle;
let openai: OpenAI;

const MAX_CONTEXTS = 2;

async function answer(model: string, question: string, stream: boolean): Promise<string> {
  const messages = [{ role: 'user' as const, content: question }];
  if (!stream) return (await openai.chat.completions.create({ model, messages, temperature: 0, max_tokens: 24 })).choices[0]!.message.content ?? '';
  let text = '';
  for await (const chunk of await openai.chat.completions.create({ model, messages, temperature: 0, max_tokens: 24, stream: true })) {
    text += chunk.choices[0]?.delta.content ?? '';
  }
  return text;
}

const hits = (replies: string[], pairs: QaPair[]) => replies.filter((reply, i) => reply === pairs[i]!.answer).length;

// Building the fixture (the tiny model, two trainings) can take minutes on a busy machine.
beforeAll(async () => {
  fixture = await cachedInferenceFixture();
  server = await startInferenceServer({
    modelGguf: fixture.baseGguf,
    name: fixture.modelName,
    adapters: fixture.adapters.map((a) => ({ name: a.name, path: a.gguf })),
    concurrency: 4,
    maxContexts: MAX_CONTEXTS,
    threads: 1,
  });
  openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: server.token, maxRetries: 0 });
}, 900_000);

afterAll(async () => {
  await server?.stop();
});

describe('many adapters on one base', () => {
  it('serves concurrent requests for different adapters, each with its own adapter', async () => {
    const [first, second] = fixture.adapters as [InferenceFixture['adapters'][0], InferenceFixture['adapters'][0]];
    // Every question to every model, all at once, half of them streamed, interleaved so that the
    // three model names (two adapters and the base) compete for two contexts.
    const models = [first.name, second.name, fixture.modelName];
    const questions = [...first.pairs, ...second.pairs];
    const jobs = questions.flatMap((pair, q) => models.map((model, m) => ({ model, q, stream: (q + m) % 2 === 0, pair })));
    const replies = await Promise.all(jobs.map((job) => answer(job.model, job.pair.question, job.stream)));
    const byModel = (model: string, pairs: QaPair[]) =>
      pairs.map((pair) => replies[jobs.findIndex((job) => job.model === model && job.pair === pair)]!);

    const own1 = hits(byModel(first.name, first.pairs), first.pairs);
    const own2 = hits(byModel(second.name, second.pairs), second.pairs);
    const cross = hits(byModel(first.name, second.pairs), second.pairs) + hits(byModel(second.name, first.pairs), first.pairs);
    const base = hits(byModel(fixture.modelName, first.pairs), first.pairs) + hits(byModel(fixture.modelName, second.pairs), second.pairs);
    console.info(`adapters: ${first.name} ${own1}/${first.pairs.length}, ${second.name} ${own2}/${second.pairs.length}, crossed ${cross}, base ${base} (${jobs.length} concurrent requests)`);
    expect(own1).toBeGreaterThanOrEqual(first.pairs.length - 1);
    expect(own2).toBeGreaterThanOrEqual(second.pairs.length - 1);
    expect(cross).toBe(0);
    expect(base).toBe(0);

    const health = await server.client.health();
    expect(health.contexts.active).toBeLessThanOrEqual(MAX_CONTEXTS);
    expect(health.requests.completed).toBeGreaterThanOrEqual(jobs.length);
  });

  it('evicts the least recently used context and wakes an adapter again on its next request', async () => {
    const [first, second] = fixture.adapters;
    await answer(first!.name, first!.pairs[0]!.question, false);
    await answer(fixture.modelName, 'Hello!', false);
    let health = await server.client.health();
    expect(health.contexts.list.map((c) => c.model).sort()).toEqual([first!.name, fixture.modelName].sort());

    // A third name: the least recently used context (the first adapter's) makes way.
    expect(await answer(second!.name, second!.pairs[0]!.question, true)).toBe(second!.pairs[0]!.answer);
    health = await server.client.health();
    expect(health.contexts.list.map((c) => c.model).sort()).toEqual([second!.name, fixture.modelName].sort());
    expect(health.adapters.find((a) => a.name === first!.name)).toMatchObject({ awake: false });

    expect(await answer(first!.name, first!.pairs[1]!.question, false)).toBe(first!.pairs[1]!.answer);
    health = await server.client.health();
    expect(health.adapters.find((a) => a.name === first!.name)).toMatchObject({ awake: true });
    expect(health.contexts.active).toBe(MAX_CONTEXTS);
  });

  it('registers adapters at run time, under any name, and removes them', async () => {
    const adapter = fixture.adapters[1]!;
    const name = 'ft:lathe-tiny-chat:acme:codes:7Qx2';
    await expect(openai.chat.completions.create({ model: name, messages: [{ role: 'user', content: 'Hi' }] })).rejects.toMatchObject({ status: 404 });

    const registered = await server.registerAdapter(name, adapter.gguf);
    expect(registered).toMatchObject({ name, awake: false, replaced: false });
    expect((await openai.models.list()).data.map((m) => m.id)).toContain(name);
    expect(await answer(name, adapter.pairs[2]!.question, true)).toBe(adapter.pairs[2]!.answer);

    // Registering with wake creates the context before any request.
    const woken = await server.client.registerAdapter({ name: 'woken', path: adapter.gguf, wake: true });
    expect(woken.awake).toBe(true);

    await server.removeAdapter(name);
    await expect(openai.chat.completions.create({ model: name, messages: [{ role: 'user', content: 'Hi' }] })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    await server.client.removeAdapter('woken');
  });

  it('refuses a bad adapter with 400 and keeps serving', async () => {
    const refusals = [
      [{ name: 'missing', path: '/nonexistent/adapter.gguf' }, 'gguf_not_found'],
      [{ name: 'base-as-adapter', path: fixture.baseGguf }, 'bad_gguf'],
      [{ name: fixture.modelName, path: fixture.adapters[0]!.gguf }, 'invalid_adapter_name'],
    ] as const;
    for (const [body, code] of refusals) {
      const response = await fetch(`${server.url}/adapters`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: expect.any(String), code } });
    }
    const pair = fixture.adapters[0]!.pairs[3]!;
    expect(await answer(fixture.adapters[0]!.name, pair.question, false)).toBe(pair.answer);
  });
});
