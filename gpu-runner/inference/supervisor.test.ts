// The supervisor and the client library when the server process dies or cannot start: a crash
// fails the requests it held with OpenAI-shaped errors, the server comes back, and a bad GGUF
// never takes the calling process down.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceError } from '../../lib/universal/openai/errors';
import { InferenceStartError, startInferenceServer, type CrashInfo, type InferenceServerHandle } from './supervisor';
import { editGgufMetadata } from '../../tests/kit/inference/edit-gguf';
import { cachedInferenceFixture, type InferenceFixture } from '../../tests/kit/inference/fixtures';

let fixture: InferenceFixture;
let root: string;

// Building the fixture (the tiny model, two trainings) can take minutes on a busy machine.
beforeAll(async () => {
  fixture = await cachedInferenceFixture();
  root = await mkdtemp(path.join(os.tmpdir(), 'lathe-inference-supervisor-'));
}, 900_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const longRequest = (model: string) => ({
  model,
  messages: [{ role: 'user' as const, content: 'Tell me a long story.' }],
  max_tokens: 900,
  temperature: 1,
  ignore_eos: true,
});

describe('crash and restart', () => {
  let server: InferenceServerHandle;

  afterAll(async () => {
    await server?.stop();
  });

  it('fails in-flight requests with OpenAI-shaped errors, answers 503 while restarting, then serves again', async () => {
    const adapter = fixture.adapters[0]!;
    server = await startInferenceServer({
      modelGguf: fixture.baseGguf,
      name: fixture.modelName,
      adapters: [{ name: adapter.name, path: adapter.gguf }],
      concurrency: 2,
      threads: 1,
      restart: { backoffMs: 300 },
    });
    // Registered at run time through the handle: the restarted process must know it too.
    await server.registerAdapter('runtime-adapter', fixture.adapters[1]!.gguf);
    const crashes: CrashInfo[] = [];
    server.on('crash', (info: CrashInfo) => crashes.push(info));
    const firstPid = server.pid;

    // One request through the typed client, one through the proxy helper, both mid-stream.
    const typed = server.client.streamChatCompletion(longRequest(adapter.name));
    const typedFirst = await typed.next();
    expect(typedFirst.done).toBe(false);
    const forwarded = await server.client.forward('/v1/chat/completions', { ...longRequest(fixture.modelName), stream: true });
    expect(forwarded.status).toBe(200);
    const forwardedReader = forwarded.body!.getReader();
    await forwardedReader.read();

    process.kill(firstPid!, 'SIGKILL');

    const typedError = await (async () => {
      try {
        for (;;) if ((await typed.next()).done) return null;
      } catch (error) {
        return error;
      }
    })();
    expect(typedError).toBeInstanceOf(InferenceError);
    expect((typedError as InferenceError).status).toBe(502);
    expect((typedError as InferenceError).toJSON()).toEqual({ error: { message: expect.any(String), type: 'server_error', param: null, code: 'inference_server_failed' } });

    let forwardedText = '';
    for (;;) {
      const { done, value } = await forwardedReader.read();
      if (done) break;
      forwardedText += new TextDecoder().decode(value);
    }
    const lastEvent = JSON.parse(forwardedText.trim().split('\n\n').at(-1)!.replace(/^data: /, ''));
    expect(lastEvent).toEqual({ error: { message: expect.any(String), type: 'server_error', param: null, code: 'inference_server_failed' } });

    // While the process is down: 503 with Retry-After, from the typed client and the proxy helper.
    await expect(server.client.chatCompletion({ model: adapter.name, messages: [{ role: 'user', content: 'Hi' }] })).rejects.toMatchObject({
      status: 503,
      code: 'inference_unavailable',
      retryAfter: 1,
    });
    const proxied = await server.client.forward('/v1/chat/completions', { model: adapter.name, messages: [{ role: 'user', content: 'Hi' }] });
    expect(proxied.status).toBe(503);
    expect(proxied.headers.get('retry-after')).toBe('1');
    expect((await proxied.json()).error.code).toBe('inference_unavailable');

    await server.ready();
    expect(server.pid).not.toBe(firstPid);
    expect(server.restarts).toBe(1);
    expect(crashes).toHaveLength(1);
    expect(crashes[0]!.signal).toBe('SIGKILL');

    // The restarted server answers, with the adapters given at start and at run time.
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: server.token, maxRetries: 0 });
    for (const trained of fixture.adapters) {
      const model = trained === adapter ? adapter.name : 'runtime-adapter';
      const reply = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: trained.pairs[0]!.question }], temperature: 0 });
      expect(reply.choices[0]!.message.content).toBe(trained.pairs[0]!.answer);
    }
  });

  it('stops the server and reports it as down afterwards', async () => {
    const pid = server.pid!;
    await server.stop();
    expect(server.state).toBe('stopped');
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(server.client.health()).rejects.toMatchObject({ status: 503 });
  });
});

describe('a GGUF the server cannot use', () => {
  async function expectStartFailure(modelGguf: string, code: string, message: RegExp): Promise<void> {
    const started = performance.now();
    const failure = await startInferenceServer({ modelGguf, threads: 1 }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(InferenceStartError);
    expect(failure).toMatchObject({ code });
    expect((failure as Error).message).toMatch(message);
    console.info(`start refused in ${Math.round(performance.now() - started)} ms: ${code}: ${(failure as Error).message.slice(0, 160)}`);
  }

  it('refuses a truncated file with a clear error', async () => {
    const half = path.join(root, 'half.gguf');
    const bytes = await readFile(fixture.baseGguf);
    await writeFile(half, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectStartFailure(half, 'bad_gguf', /^half\.gguf is not a valid GGUF file: .*(exceeds the file size|past the end)/);
  });

  it('refuses a file without the keys llama.cpp would abort on', async () => {
    const noFeedForward = path.join(root, 'no-ffn.gguf');
    await editGgufMetadata(fixture.baseGguf, noFeedForward, (metadata) => {
      metadata.delete('llama.feed_forward_length');
      metadata.delete('llama.attention.head_count');
    });
    await expectStartFailure(noFeedForward, 'bad_gguf', /missing required metadata: llama\.feed_forward_length, llama\.attention\.head_count/);
  });

  it('refuses a path that is not there', async () => {
    await expectStartFailure(path.join(root, 'nowhere.gguf'), 'gguf_not_found', /does not exist/);
  });

  it('reports a native llama.cpp abort at start as a crash, and the caller keeps running', async () => {
    // A zero head count passes the metadata checks but trips a GGML_ASSERT inside llama.cpp,
    // which abort()s the server process.
    const zeroHeads = path.join(root, 'zero-heads.gguf');
    await editGgufMetadata(fixture.baseGguf, zeroHeads, (metadata) => metadata.set('llama.attention.head_count', 0));
    await expectStartFailure(zeroHeads, 'server_crashed', /SIGABRT[\s\S]*GGML_ASSERT/);
    // Still here, and able to start a good server.
    const good = await startInferenceServer({ modelGguf: fixture.baseGguf, threads: 1 });
    expect((await good.client.health()).status).toBe('ok');
    await good.stop();
  });
});
