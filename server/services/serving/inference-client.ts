// The client library for the inference server, for the web app's /v1 proxy and the runners.
// Every failure, including the server process dying in the middle of a request, comes out as an
// InferenceError that carries OpenAI's error shape: 503 when the server cannot be reached (it is
// starting or restarting), 502 when it went away while holding the request.
import { InferenceError, unavailable, upstreamFailed } from '@/lib/universal/openai/errors';
import type {
  AdapterInfo,
  ChatCompletion,
  ChatCompletionChunk,
  Completion,
  InferenceHealth,
  ModelList,
  TChatCompletionRequest,
  TCompletionRequest,
  TRegisterAdapterRequest,
  Usage,
} from '@/lib/universal/openai/schema';

export interface InferenceClientOptions {
  /** The server's base URL, or a function returning it (the supervisor's port can change). */
  baseUrl: string | (() => string);
  token: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Sent as X-Lathe-Generation-Id: the server then keeps the generation's usage for `generationReport`. */
  generationId?: string;
}

/** How a generation started under an id ended: its response id and usage; nulls when it never ran. */
export type GenerationReport = { id: string | null; usage: Usage | null };

export type ChatCompletionBody = Omit<TChatCompletionRequest, 'stream'>;
export type CompletionBody = Omit<TCompletionRequest, 'stream'>;
export type GenerationPath = '/v1/chat/completions' | '/v1/completions';

const DONE_MARKER = 'data: [DONE]';
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'EAI_AGAIN']);

function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error as { code?: string }).code;
}

/** A transport failure as the error a client of the proxy should see. */
function transportError(error: unknown): InferenceError {
  const code = causeCode(error);
  if (code && CONNECT_FAILURES.has(code)) return unavailable('The inference server is not reachable; it may be starting or restarting.');
  return upstreamFailed(`The inference server went away during the request (${code ?? (error as Error).message}).`);
}

function retryAfterOf(response: Response): number | undefined {
  const value = Number(response.headers.get('retry-after'));
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

function errorResponse(error: InferenceError): Response {
  return Response.json(error.toJSON(), { status: error.status, headers: error.retryAfter ? { 'Retry-After': String(error.retryAfter) } : {} });
}

function sseErrorEvent(error: InferenceError): Uint8Array {
  return new TextEncoder().encode(`data: ${JSON.stringify(error.toJSON())}\n\n`);
}

/** The `data:` payloads of a server-sent event stream, until it ends. */
export async function* readEventData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let boundary: RegExpExecArray | null;
      const separator = /\r?\n\r?\n/g;
      let consumed = 0;
      while ((boundary = separator.exec(buffer)) !== null) {
        const block = buffer.slice(consumed, boundary.index);
        consumed = boundary.index + boundary[0].length;
        const data = block
          .split(/\r?\n/)
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
        if (data.length > 0) yield data.join('\n');
      }
      buffer = buffer.slice(consumed);
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}

export class InferenceClient {
  constructor(private readonly options: InferenceClientOptions) {}

  get baseUrl(): string {
    return typeof this.options.baseUrl === 'function' ? this.options.baseUrl() : this.options.baseUrl;
  }

  health(options: RequestOptions = {}): Promise<InferenceHealth> {
    return this.json('GET', '/health', undefined, options);
  }

  models(options: RequestOptions = {}): Promise<ModelList> {
    return this.json('GET', '/v1/models', undefined, options);
  }

  /** Waits for the generation started under `id` to end and returns what it used. */
  generationReport(id: string, options: RequestOptions = {}): Promise<GenerationReport> {
    return this.json('GET', `/generations/${encodeURIComponent(id)}`, undefined, options);
  }

  registerAdapter(body: TRegisterAdapterRequest, options: RequestOptions = {}): Promise<AdapterInfo & { replaced: boolean }> {
    return this.json('POST', '/adapters', body, options);
  }

  removeAdapter(name: string, options: RequestOptions = {}): Promise<{ name: string; removed: true }> {
    return this.json('DELETE', `/adapters/${encodeURIComponent(name)}`, undefined, options);
  }

  chatCompletion(body: ChatCompletionBody, options: RequestOptions = {}): Promise<ChatCompletion> {
    return this.json('POST', '/v1/chat/completions', { ...body, stream: false }, options);
  }

  completion(body: CompletionBody, options: RequestOptions = {}): Promise<Completion> {
    return this.json('POST', '/v1/completions', { ...body, stream: false }, options);
  }

  streamChatCompletion(body: ChatCompletionBody, options: RequestOptions = {}): AsyncGenerator<ChatCompletionChunk> {
    return this.stream<ChatCompletionChunk>('/v1/chat/completions', body, options);
  }

  streamCompletion(body: CompletionBody, options: RequestOptions = {}): AsyncGenerator<Completion> {
    return this.stream<Completion>('/v1/completions', body, options);
  }

  /**
   * Sends a /v1 body as it is and returns the answer as a fetch Response for a proxy to return:
   * the server's own status and body, an OpenAI-shaped 502/503 when it cannot answer, and for a
   * stream cut short an SSE error event (which the openai SDK raises as an APIError). Cancelling
   * the returned body (the end user went away) cancels the upstream request, which frees its slot.
   */
  async forward(path: GenerationPath, body: unknown, options: RequestOptions = {}): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetch('POST', path, body, options.signal, options.generationId);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      return errorResponse(transportError(error));
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (!response.body || !contentType.startsWith('text/event-stream')) {
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        if (options.signal?.aborted) throw error;
        return errorResponse(transportError(error));
      }
      const headers: Record<string, string> = { 'Content-Type': contentType || 'application/json' };
      const retryAfter = response.headers.get('retry-after');
      if (retryAfter) headers['Retry-After'] = retryAfter;
      return new Response(text, { status: response.status, headers });
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let tail = '';
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (!done) {
            tail = (tail + decoder.decode(value, { stream: true })).slice(-64);
            controller.enqueue(value);
            return;
          }
          if (!tail.includes(DONE_MARKER)) controller.enqueue(sseErrorEvent(upstreamFailed('The inference server ended the stream before it finished.')));
          controller.close();
        } catch (error) {
          controller.enqueue(sseErrorEvent(transportError(error)));
          controller.close();
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    });
    return new Response(stream, { status: response.status, headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' } });
  }

  private async fetch(method: string, path: string, body: unknown, signal?: AbortSignal, generationId?: string): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.options.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(generationId ? { 'X-Lathe-Generation-Id': generationId } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  }

  /** Sends a request; a non-2xx answer becomes the InferenceError it describes. */
  private async send(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetch(method, path, body, signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      throw transportError(error);
    }
    if (!response.ok) {
      const payload = await response.json().catch(() => null);
      throw InferenceError.fromBody(response.status, payload, retryAfterOf(response));
    }
    return response;
  }

  private async json<T>(method: string, path: string, body: unknown, options: RequestOptions): Promise<T> {
    const response = await this.send(method, path, body, options.signal);
    try {
      return (await response.json()) as T;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw transportError(error);
    }
  }

  private async *stream<T>(path: GenerationPath, body: object, options: RequestOptions): AsyncGenerator<T> {
    const response = await this.send('POST', path, { ...body, stream: true }, options.signal);
    if (!response.body) throw upstreamFailed('The inference server answered without a body.');
    let finished = false;
    try {
      for await (const data of readEventData(response.body)) {
        if (data === '[DONE]') {
          finished = true;
          return;
        }
        const event = JSON.parse(data) as T & { error?: unknown };
        if (event.error) throw InferenceError.fromBody(500, event);
        yield event as Awaited<T>;
      }
    } catch (error) {
      if (error instanceof InferenceError || options.signal?.aborted) throw error;
      throw transportError(error);
    } finally {
      // Leaving early (break, an error, an abort) must close the connection so the server stops.
      if (!finished) await response.body.cancel().catch(() => undefined);
    }
    throw upstreamFailed('The inference server ended the stream before it finished.');
  }
}
