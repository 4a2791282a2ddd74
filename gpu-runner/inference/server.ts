// The inference server's HTTP API on node:http: OpenAI's /v1/chat/completions and /v1/completions
// (JSON or server-sent events), /v1/models, /health, /adapters and /generations, all behind one
// bearer token.
// Only the web app (and the gpu-runner) talk to it; end users never see this token.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { InferenceEngine, PreparedGeneration, RunCallbacks, RunResult } from './engine';
import { GENERATION_ID_PATTERN, GenerationUsage } from './generation-usage';
import { badRequest, InferenceError, internalError, isInferenceError } from '../../lib/universal/openai/errors';
import {
  assertSupported,
  ZChatCompletionRequest,
  ZCompletionRequest,
  ZRegisterAdapterRequest,
  zodToInferenceError,
  type ChatCompletion,
  type ChatCompletionChunk,
  type Completion,
  type FinishReason,
  type ModelList,
  type Usage,
} from '../../lib/universal/openai/schema';

export interface InferenceHttpServerOptions {
  engine: InferenceEngine;
  token: string;
  host?: string;
  port?: number;
  maxBodyBytes?: number;
  logger?: Logger;
}

export interface InferenceHttpServer {
  server: http.Server;
  port: number;
  url: string;
  /** Stops accepting connections and waits for running requests (at most `graceMs`). */
  close: (graceMs?: number) => Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 16 << 20;

const digest = (value: string) => createHash('sha256').update(value).digest();

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

function toInferenceError(error: unknown): InferenceError {
  return isInferenceError(error) ? error : internalError();
}

function sendError(res: ServerResponse, error: InferenceError): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end(`data: ${JSON.stringify(error.toJSON())}\n\n`);
    return;
  }
  sendJson(res, error.status, error.toJSON(), error.retryAfter ? { 'Retry-After': String(error.retryAfter) } : {});
}

function readBody(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new InferenceError('request_too_large', `The request body is larger than ${limit} bytes.`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return reject(badRequest('The request body is empty; send a JSON object.', 'invalid_json'));
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(badRequest(`The request body is not valid JSON: ${(error as Error).message}`, 'invalid_json'));
      }
    });
  });
}

/** The id the web app gives a generation so it can ask for its usage later (`GET /generations/<id>`). */
function generationIdOf(req: IncomingMessage): string | null {
  const header = req.headers['x-lathe-generation-id'];
  if (header === undefined) return null;
  if (typeof header !== 'string' || !GENERATION_ID_PATTERN.test(header)) {
    throw badRequest('X-Lathe-Generation-Id must be 8 to 64 letters, digits and dashes.', 'invalid_request');
  }
  return header;
}

function usageOf(result: RunResult): Usage {
  return { prompt_tokens: result.promptTokens, completion_tokens: result.completionTokens, total_tokens: result.promptTokens + result.completionTokens };
}

/** One streamed or plain generation in either of OpenAI's two response vocabularies. */
interface ResponseFormat {
  idPrefix: string;
  /** What a stream opens with before any text (OpenAI's chat streams announce the role). */
  opening: ((base: { id: string; created: number; model: string }) => unknown) | null;
  chunk: (base: { id: string; created: number; model: string }, text: string | null, finish: FinishReason | null) => unknown;
  usageChunk: (base: { id: string; created: number; model: string }, usage: Usage) => unknown;
  complete: (base: { id: string; created: number; model: string }, result: RunResult) => unknown;
}

const CHAT_FORMAT: ResponseFormat = {
  idPrefix: 'chatcmpl-',
  opening: (base) =>
    ({
      ...base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }],
    }) satisfies ChatCompletionChunk,
  chunk: (base, text, finish) =>
    ({
      ...base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: text === null ? {} : { content: text }, logprobs: null, finish_reason: finish }],
    }) satisfies ChatCompletionChunk,
  usageChunk: (base, usage) => ({ ...base, object: 'chat.completion.chunk', choices: [], usage }) satisfies ChatCompletionChunk,
  complete: (base, result) =>
    ({
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: result.text, refusal: null }, logprobs: null, finish_reason: result.finishReason }],
      usage: usageOf(result),
    }) satisfies ChatCompletion,
};

const COMPLETION_FORMAT: ResponseFormat = {
  idPrefix: 'cmpl-',
  opening: null,
  chunk: (base, text, finish) =>
    ({ ...base, object: 'text_completion', choices: [{ index: 0, text: text ?? '', logprobs: null, finish_reason: finish as FinishReason }] }) satisfies Completion,
  usageChunk: (base, usage) => ({ ...base, object: 'text_completion', choices: [], usage }) satisfies Completion,
  complete: (base, result) =>
    ({
      ...base,
      object: 'text_completion',
      choices: [{ index: 0, text: result.text, logprobs: null, finish_reason: result.finishReason }],
      usage: usageOf(result),
    }) satisfies Completion,
};

export function startInferenceHttpServer(options: InferenceHttpServerOptions): Promise<InferenceHttpServer> {
  const { engine, logger } = options;
  if (!options.token) throw new RangeError('an internal token is required');
  const expected = digest(`Bearer ${options.token}`);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const inFlight = new Set<Promise<void>>();

  const authorized = (req: IncomingMessage) => timingSafeEqual(digest(req.headers.authorization ?? ''), expected);
  const generations = new GenerationUsage();

  /** Runs a generation; one started under an id reports how it ended, however it ended. */
  async function runReported(generationId: string | null, responseId: string, prepared: PreparedGeneration, callbacks: RunCallbacks): Promise<RunResult> {
    if (generationId === null) return engine.run(prepared, callbacks);
    let result: RunResult | null = null;
    try {
      result = await engine.run(prepared, callbacks);
      return result;
    } finally {
      // An abort before the first token evaluated nothing, not even the prompt.
      generations.end(generationId, { id: responseId, usage: result && result.completionTokens > 0 ? usageOf(result) : null });
    }
  }

  async function generateResponse(req: IncomingMessage, res: ServerResponse, format: ResponseFormat, prepared: PreparedGeneration, stream: boolean): Promise<void> {
    const generationId = generationIdOf(req);
    if (generationId !== null && !generations.begin(generationId)) {
      throw new InferenceError('generation_abandoned', `The generation ${generationId} was already started or given up; send the request with a new id.`);
    }
    const controller = new AbortController();
    // The client went away (or the response is done): a running generation stops and its slot frees.
    res.on('close', () => controller.abort(new InferenceError('client_closed', 'The client closed the connection.')));
    const base = { id: `${format.idPrefix}${generationId ?? randomUUID().replace(/-/g, '')}`, created: Math.floor(Date.now() / 1000), model: prepared.model };
    const write = (payload: unknown) => {
      if (!res.writableEnded) res.write(`data: ${JSON.stringify(payload)}\n\n`);
    };
    const started = performance.now();
    const result = await runReported(generationId, base.id, prepared, {
      signal: controller.signal,
      onStart: stream
        ? () => {
            res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
            if (format.opening) write(format.opening(base));
            else res.flushHeaders();
          }
        : undefined,
      onText: stream
        ? (delta) => write(format.chunk(base, delta, null))
        : undefined,
    });
    logger?.info(
      { model: prepared.model, stream, promptTokens: result.promptTokens, completionTokens: result.completionTokens, finish: result.finishReason, aborted: result.aborted, ms: Math.round(performance.now() - started) },
      'generation',
    );
    if (result.aborted) return;
    if (!stream) return sendJson(res, 200, format.complete(base, result));
    write(format.chunk(base, null, result.finishReason));
    write(format.usageChunk(base, usageOf(result)));
    res.end('data: [DONE]\n\n');
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://inference');
    const method = req.method ?? 'GET';
    if (!authorized(req)) {
      throw new InferenceError('invalid_api_key', 'Missing or invalid internal token (Authorization: Bearer ...).');
    }
    const allow = (methods: string[]) => {
      if (!methods.includes(method)) {
        throw new InferenceError('method_not_allowed', `${method} is not allowed on ${url.pathname}.`);
      }
    };
    switch (url.pathname) {
      case '/health':
        allow(['GET']);
        return sendJson(res, 200, engine.health());
      case '/v1/models': {
        allow(['GET']);
        const created = Math.floor(Date.now() / 1000);
        const list: ModelList = {
          object: 'list',
          data: [
            { id: engine.modelName, object: 'model', created, owned_by: 'lathe', parent: null },
            ...[...engine.adapters.keys()].map((id) => ({ id, object: 'model' as const, created, owned_by: 'lathe', parent: engine.modelName })),
          ],
        };
        return sendJson(res, 200, list);
      }
      case '/v1/chat/completions': {
        allow(['POST']);
        const body = await readBody(req, maxBodyBytes);
        const parsed = ZChatCompletionRequest.safeParse(body);
        if (!parsed.success) throw zodToInferenceError(parsed.error, body);
        assertSupported(parsed.data);
        return generateResponse(req, res, CHAT_FORMAT, engine.prepareChat(parsed.data), parsed.data.stream === true);
      }
      case '/v1/completions': {
        allow(['POST']);
        const body = await readBody(req, maxBodyBytes);
        const parsed = ZCompletionRequest.safeParse(body);
        if (!parsed.success) throw zodToInferenceError(parsed.error, body);
        assertSupported(parsed.data);
        return generateResponse(req, res, COMPLETION_FORMAT, engine.prepareCompletion(parsed.data), parsed.data.stream === true);
      }
      case '/adapters': {
        allow(['GET', 'POST']);
        if (method === 'GET') return sendJson(res, 200, { adapters: engine.health().adapters });
        const body = await readBody(req, maxBodyBytes);
        const parsed = ZRegisterAdapterRequest.safeParse(body);
        if (!parsed.success) throw zodToInferenceError(parsed.error, body);
        const { replaced } = await engine.registerAdapter(parsed.data.name, parsed.data.path, { wake: parsed.data.wake });
        const adapter = engine.health().adapters.find((a) => a.name === parsed.data.name)!;
        return sendJson(res, replaced ? 200 : 201, { ...adapter, replaced });
      }
      default: {
        if (url.pathname.startsWith('/generations/')) {
          allow(['GET']);
          const id = decodeURIComponent(url.pathname.slice('/generations/'.length));
          if (!GENERATION_ID_PATTERN.test(id)) throw badRequest('A generation id is 8 to 64 letters, digits and dashes.', 'invalid_request', 'id');
          return sendJson(res, 200, await generations.report(id));
        }
        if (url.pathname.startsWith('/adapters/')) {
          allow(['DELETE']);
          const name = decodeURIComponent(url.pathname.slice('/adapters/'.length));
          if (!engine.removeAdapter(name)) {
            throw new InferenceError('adapter_not_found', `No adapter named \`${name}\` is registered.`, { param: 'name' });
          }
          return sendJson(res, 200, { name, removed: true });
        }
        throw new InferenceError('unknown_url', `Unknown path ${url.pathname}.`);
      }
    }
  }

  const server = http.createServer({ noDelay: true, keepAliveTimeout: 30_000 }, (req, res) => {
    const task = route(req, res)
      .catch((error: unknown) => {
        const failure = toInferenceError(error);
        if (!isInferenceError(error)) logger?.error({ err: error, path: req.url }, 'request failed');
        if (failure.status !== 499) sendError(res, failure);
        else if (!res.writableEnded) res.end();
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      resolve({
        server,
        port,
        url: `http://${options.host ?? '127.0.0.1'}:${port}`,
        close: async (graceMs = 10_000) => {
          const closed = new Promise<void>((done) => server.close(() => done()));
          server.closeIdleConnections();
          const timer = new Promise<void>((done) => setTimeout(done, graceMs).unref());
          await Promise.race([Promise.allSettled([...inFlight]).then(() => undefined), timer]);
          server.closeAllConnections();
          await closed;
        },
      });
    });
  });
}
