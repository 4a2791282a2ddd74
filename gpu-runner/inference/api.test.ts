// The inference server's OpenAI-compatible API, driven with the official `openai` client against a
// real server process on the tiny fixture and an adapter trained on it by the real trainer.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import { Tokenizer } from 'tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatTokenizer } from '../../server/services/datasets/chat-tokenizer';
import { startInferenceServer, type InferenceServerHandle } from './supervisor';
import { cachedInferenceFixture, type InferenceFixture, type TrainedAdapter } from '../../tests/kit/inference/fixtures';

let fixture: InferenceFixture;
let adapter: TrainedAdapter;
let server: InferenceServerHandle;
let openai: OpenAI;
let tokenizer: Tokenizer;
let chatTokenizer: ChatTokenizer;

// Long enough that a request asking for this many tokens is still running seconds later.
const LONG_RUN_TOKENS = 3000;

const ask = (question: string) => [{ role: 'user' as const, content: question }];

async function collect(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
  const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  const finish = chunks.map((c) => c.choices[0]?.finish_reason).find((f) => f != null);
  return { chunks, content, finish, usage: chunks.at(-1)?.usage };
}

async function raw(pathname: string, body: string | object, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${pathname}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { error: Record<string, unknown> } };
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A streamed request that runs for seconds; resolves once its first token has arrived. */
async function startLongStream() {
  const controller = new AbortController();
  const stream = await openai.chat.completions.create(
    // ignore_eos is the server's extension for fixed-length generations; the SDK passes it through.
    { model: fixture.modelName, messages: ask('Tell me a long story.'), max_tokens: LONG_RUN_TOKENS, temperature: 1, seed: 3, stream: true, ignore_eos: true } as OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming,
    { signal: controller.signal },
  );
  const iterator = stream[Symbol.asyncIterator]();
  let received = 0;
  while (received === 0) {
    const { value } = await iterator.next();
    received += value?.choices[0]?.delta.content ? 1 : 0;
  }
  const drain = (async () => {
    try {
      for (;;) {
        const { done, value } = await iterator.next();
        if (done) return received;
        if (value?.choices[0]?.delta.content) received++;
      }
    } catch {
      return received;
    }
  })();
  return { controller, drain };
}

// Building the fixture (the tiny model, two trainings) can take minutes on a busy machine.
beforeAll(async () => {
  fixture = await cachedInferenceFixture();
  adapter = fixture.adapters[0]!;
  server = await startInferenceServer({
    modelGguf: fixture.baseGguf,
    name: fixture.modelName,
    adapters: [{ name: adapter.name, path: adapter.gguf }],
    concurrency: 1,
    maxQueue: 1,
    threads: 1,
    // Beyond the fixture's 1024 training positions, so that a long request really runs for seconds.
    contextSize: 4096,
  });
  openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: server.token, maxRetries: 0 });
  tokenizer = Tokenizer.fromString(await readFile(path.join(fixture.modelDir, 'tokenizer.json'), 'utf8'));
  chatTokenizer = await ChatTokenizer.load({ modelDir: fixture.modelDir });
}, 900_000);

afterAll(async () => {
  await chatTokenizer?.close();
  await server?.stop();
});

describe('chat completions', () => {
  it('answers in OpenAI shape, and a fixed seed gives the same sampled reply streamed or not', async () => {
    const params = { model: fixture.modelName, messages: ask('Tell me about your morning.'), temperature: 1.2, top_p: 0.95, max_tokens: 40 };
    const plain = await openai.chat.completions.create({ ...params, seed: 1234 });
    expect(plain).toMatchObject({ object: 'chat.completion', model: fixture.modelName, choices: [{ index: 0, message: { role: 'assistant' }, logprobs: null }] });
    expect(plain.id).toMatch(/^chatcmpl-/);
    const streamed = await collect(await openai.chat.completions.create({ ...params, seed: 1234, stream: true }));
    expect(streamed.content).toBe(plain.choices[0]!.message.content);
    expect(streamed.finish).toBe(plain.choices[0]!.finish_reason);
    expect(streamed.usage).toEqual(plain.usage);
    expect(streamed.chunks[0]!.choices[0]!.delta).toMatchObject({ role: 'assistant', content: '' });
    expect(streamed.chunks.at(-1)!.choices).toEqual([]);
    expect(new Set(streamed.chunks.map((c) => c.id)).size).toBe(1);

    // The seed is what made them equal: other seeds sample other replies.
    const replies = new Set<string | null>();
    for (const seed of [1, 2, 3, 4, 5]) replies.add((await openai.chat.completions.create({ ...params, seed })).choices[0]!.message.content);
    expect(replies.size).toBeGreaterThan(1);
  });

  it('decodes greedily and deterministically at temperature 0, with the trained answer', async () => {
    const pair = adapter.pairs[0]!;
    const first = await openai.chat.completions.create({ model: adapter.name, messages: ask(pair.question), temperature: 0 });
    const second = await openai.chat.completions.create({ model: adapter.name, messages: ask(pair.question), temperature: 0, seed: 99 });
    expect(first.choices[0]!.message.content).toBe(pair.answer);
    expect(second.choices[0]!.message.content).toBe(pair.answer);
    expect(first.choices[0]!.finish_reason).toBe('stop');
  });

  it('cuts the output at a stop sequence, also one that spans tokens, streamed or not', async () => {
    const pair = adapter.pairs[1]!;
    for (const stop of ['-', ['zzz', 'code is']]) {
      const cut = pair.answer.slice(0, Math.min(...[stop].flat().map((s) => (pair.answer.includes(s) ? pair.answer.indexOf(s) : Infinity))));
      const plain = await openai.chat.completions.create({ model: adapter.name, messages: ask(pair.question), temperature: 0, stop });
      expect(plain.choices[0]!.message.content).toBe(cut);
      expect(plain.choices[0]!.finish_reason).toBe('stop');
      const streamed = await collect(await openai.chat.completions.create({ model: adapter.name, messages: ask(pair.question), temperature: 0, stop, stream: true }));
      expect(streamed.content).toBe(cut);
      expect(streamed.finish).toBe('stop');
    }
  });

  it('respects max_tokens and counts usage like the tokenizer the training data was made with', async () => {
    const pair = adapter.pairs[2]!;
    const prompt = await chatTokenizer.renderPrompt({ messages: ask(pair.question) });
    const promptTokens = (await tokenizer.encode(prompt, null, { addSpecialTokens: false })).getLength();

    const short = await openai.chat.completions.create({ model: adapter.name, messages: ask(pair.question), temperature: 0, max_tokens: 3 });
    expect(short.choices[0]!.finish_reason).toBe('length');
    expect(short.usage).toEqual({ prompt_tokens: promptTokens, completion_tokens: 3, total_tokens: promptTokens + 3 });
    expect(pair.answer.startsWith(short.choices[0]!.message.content!)).toBe(true);

    const streamed = await collect(await openai.chat.completions.create({ model: adapter.name, messages: ask(pair.question), temperature: 0, max_completion_tokens: 3, stream: true }));
    expect(streamed.finish).toBe('length');
    expect(streamed.usage).toMatchObject({ prompt_tokens: promptTokens, completion_tokens: 3 });

    // A full reply counts its tokens and the end-of-turn token the model stopped with.
    const full = await openai.chat.completions.create({ model: adapter.name, messages: ask(pair.question), temperature: 0 });
    const answerTokens = (await tokenizer.encode(pair.answer, null, { addSpecialTokens: false })).getLength();
    expect(full.usage).toEqual({ prompt_tokens: promptTokens, completion_tokens: answerTokens + 1, total_tokens: promptTokens + answerTokens + 1 });
  });
});

describe('completions', () => {
  it('speaks the legacy text_completion shape with the same answers', async () => {
    const pair = adapter.pairs[3]!;
    const prompt = await chatTokenizer.renderPrompt({ messages: ask(pair.question) });
    const plain = await openai.completions.create({ model: adapter.name, prompt, temperature: 0, max_tokens: 30 });
    expect(plain).toMatchObject({ object: 'text_completion', model: adapter.name, choices: [{ index: 0, text: pair.answer, finish_reason: 'stop' }] });
    expect(plain.id).toMatch(/^cmpl-/);
    expect(plain.usage!.total_tokens).toBe(plain.usage!.prompt_tokens + plain.usage!.completion_tokens);

    let text = '';
    let usage: OpenAI.Completions.CompletionUsage | undefined;
    for await (const chunk of await openai.completions.create({ model: adapter.name, prompt, temperature: 0, max_tokens: 30, stream: true })) {
      text += chunk.choices[0]?.text ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(pair.answer);
    expect(usage).toEqual(plain.usage);
  });
});

describe('queue and cancellation (concurrency 1, queue 1)', () => {
  it('frees the slot at once when a streaming client disconnects', async () => {
    const before = (await server.client.health()).requests;
    const long = await startLongStream();
    const pair = adapter.pairs[4]!;
    const queued = openai.chat.completions.create({ model: adapter.name, messages: ask(pair.question), temperature: 0 });
    await waitFor(async () => (await server.client.health()).queue.waiting === 1);

    const abortedAt = performance.now();
    long.controller.abort();
    const reply = await queued;
    const waitedMs = performance.now() - abortedAt;
    const received = await long.drain;

    expect(reply.choices[0]!.message.content).toBe(pair.answer);
    // The long request had thousands of tokens to go (seconds of work); the queued one ran at once.
    expect(received).toBeLessThan(LONG_RUN_TOKENS / 2);
    expect(waitedMs).toBeLessThan(1500);
    const after = await server.client.health();
    expect(after.requests.aborted).toBe(before.aborted + 1);
    expect(after.queue).toMatchObject({ running: 0, waiting: 0 });
  });

  it('keeps the usage of a generation whose client went away for the caller that named it', async () => {
    const body = { model: fixture.modelName, messages: ask('Tell me a long story.'), temperature: 1, seed: 3 };
    const promptTokens = (await openai.chat.completions.create({ ...body, max_tokens: 1 })).usage!.prompt_tokens;
    const generationId = randomUUID();
    const controller = new AbortController();
    const response = await server.client.forward('/v1/chat/completions', { ...body, max_tokens: LONG_RUN_TOKENS, stream: true, ignore_eos: true }, { signal: controller.signal, generationId });
    const reader = response.body!.getReader();
    let text = '';
    while (text.split('"content"').length < 6) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();

    const report = await server.client.generationReport(generationId);
    expect(report.id).toBe(`chatcmpl-${generationId}`);
    expect(report.usage!.prompt_tokens).toBe(promptTokens);
    expect(report.usage!.completion_tokens).toBeGreaterThanOrEqual(4);
    expect(report.usage!.completion_tokens).toBeLessThan(LONG_RUN_TOKENS / 2);
    expect(report.usage!.total_tokens).toBe(promptTokens + report.usage!.completion_tokens);
    expect(await server.client.generationReport(generationId)).toEqual(report);
  });

  it('does not run a generation whose id was asked about before it arrived', async () => {
    const generationId = randomUUID();
    expect(await server.client.generationReport(generationId)).toEqual({ id: null, usage: null });
    const late = await server.client.forward('/v1/completions', { model: fixture.modelName, prompt: 'The code', max_tokens: 2 }, { generationId });
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe('generation_abandoned');
  });

  it('answers 429 with Retry-After when the queue is full', async () => {
    const long = await startLongStream();
    const queuedController = new AbortController();
    const queued = openai.chat.completions
      .create({ model: fixture.modelName, messages: ask('Hello!'), max_tokens: 5 }, { signal: queuedController.signal })
      .catch((error: unknown) => error);
    await waitFor(async () => (await server.client.health()).queue.waiting === 1);

    const refused = await raw('/v1/chat/completions', { model: fixture.modelName, messages: ask('Hello!') });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.body).toEqual({ error: { message: expect.any(String), type: 'rate_limit_error', param: null, code: 'server_overloaded' } });
    await expect(openai.chat.completions.create({ model: fixture.modelName, messages: ask('Hello!') })).rejects.toMatchObject({ status: 429, code: 'server_overloaded' });

    queuedController.abort();
    long.controller.abort();
    await queued;
    await long.drain;
    await waitFor(async () => (await server.client.health()).queue.running === 0);
  });
});

describe('errors in OpenAI shape', () => {
  it('answers 404 model_not_found for an unknown model', async () => {
    const response = await raw('/v1/chat/completions', { model: 'ft:nobody:nothing', messages: ask('Hi') });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: { message: expect.stringContaining('ft:nobody:nothing'), type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
    await expect(openai.completions.create({ model: 'missing', prompt: 'Hi' })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('answers 400 for malformed bodies, naming the parameter', async () => {
    const cases: Array<[string | object, string | null, string]> = [
      ['{"model": "x", "messages": [', null, 'invalid_json'],
      [{ model: fixture.modelName }, 'messages', 'missing_required_parameter'],
      [{ model: fixture.modelName, messages: 'hello' }, 'messages', 'invalid_request'],
      [{ model: fixture.modelName, messages: [{ role: 'robot', content: 'hi' }] }, 'messages.0.role', 'invalid_request'],
      [{ model: fixture.modelName, messages: ask('hi'), temperature: 3 }, 'temperature', 'invalid_request'],
      [{ model: fixture.modelName, messages: ask('hi'), max_tokens: 0 }, 'max_tokens', 'invalid_request'],
      [{ model: fixture.modelName, messages: ask('hi'), stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', 'invalid_request'],
      [{ model: fixture.modelName, messages: ask('hi'), n: 2 }, 'n', 'unsupported_parameter'],
      [{ model: fixture.modelName, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, 'messages.0.content.0', 'unsupported_parameter'],
      [{ model: fixture.modelName, messages: ask('word '.repeat(5000)) }, 'messages', 'context_length_exceeded'],
      [{ model: fixture.modelName, messages: ask('hi'), max_tokens: 10_000 }, 'messages', 'context_length_exceeded'],
    ];
    for (const [body, param, code] of cases) {
      const response = await raw('/v1/chat/completions', body);
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(response.body).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param, code } });
    }
    const completion = await raw('/v1/completions', { model: fixture.modelName });
    expect(completion.body.error).toMatchObject({ param: 'prompt', code: 'missing_required_parameter' });
    await expect(openai.chat.completions.create({ model: fixture.modelName, messages: [] })).rejects.toMatchObject({ status: 400, param: 'messages' });
  });

  it('refuses requests without the internal token', async () => {
    const response = await raw('/v1/chat/completions', { model: fixture.modelName, messages: ask('Hi') }, { Authorization: 'Bearer wrong' });
    expect(response.status).toBe(401);
    expect(response.body.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(401);
  });
});
