// chat.completions.create: OpenAI's request and answer shapes over /v1/chat/completions. With
// `stream: true` it resolves, once the answer has started, to an async iterable of chunks read
// from the server-sent events as they arrive.
import { LatheApiError } from './errors';

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant';
  content: string;
  name?: string;
}

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  user?: string | null;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{ index: number; message: { role: 'assistant'; content: string | null }; finish_reason: 'stop' | 'length' | null }>;
  usage: Usage;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{ index: number; delta: { role?: 'assistant'; content?: string }; finish_reason: 'stop' | 'length' | null }>;
  usage?: Usage | null;
}

type V1 = (path: string, init?: RequestInit) => Promise<Response>;

export async function createChatCompletion(v1: V1, request: ChatCompletionRequest, opts: { signal?: AbortSignal } = {}): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>> {
  const response = await v1('/chat/completions', { method: 'POST', body: JSON.stringify(request), signal: opts.signal });
  if (!request.stream) return (await response.json()) as ChatCompletion;
  if (!response.body) throw new LatheApiError('The stream ended before it began.', { code: 'stream_error', status: response.status });
  return readStream(response);
}

async function* readStream(response: Response): AsyncGenerator<ChatCompletionChunk> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (!data) continue;
        if (data === '[DONE]') return;
        const parsed = JSON.parse(data) as ChatCompletionChunk | { error: { message: string; code?: string; param?: string | null } };
        if ('error' in parsed) throw new LatheApiError(parsed.error.message, { code: parsed.error.code ?? 'stream_error', status: response.status, param: parsed.error.param ?? null });
        yield parsed;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
