// One chat completion for an eval run, through the very code that serves /v1/chat/completions
// (serveGeneration): the same model resolution, deployment wake-up, adapter loading, rate limit
// and credit check, and the answer's tokens charged as inference at the model's price.
import type { TenantContext } from '@/server/db/tenant';
import { InferenceError } from '@/lib/universal/openai/errors';
import { LatheError } from '@/server/services/errors';
import { serveGeneration } from '@/server/services/serving/serve-generation';

export interface AskModelOptions {
  tenant: TenantContext;
  /** Who the rate limit counts: the run. */
  caller: string;
  model: string;
  messages: { role: string; content: string | null }[];
  maxTokens: number;
  signal?: AbortSignal;
  /** How long to keep retrying while the model is being loaded or the rate limit holds. */
  patienceMs?: number;
}

export interface ModelAnswer {
  text: string;
  promptTokens: number;
  completionTokens: number;
}

const RETRIED = new Set(['model_loading', 'adapter_loading', 'rate_limit_exceeded', 'server_overloaded', 'inference_unavailable']);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** The model's greedy answer; an InferenceError (the /v1 error of the request) when it cannot answer. */
export async function askModel({ tenant, caller, model, messages, maxTokens, signal, patienceMs = 10 * 60_000 }: AskModelOptions): Promise<ModelAnswer> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const request = new Request('http://lathe.internal/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages, temperature: 0, max_tokens: maxTokens }),
      ...(signal ? { signal } : {}),
    });
    let response: Response;
    try {
      response = await serveGeneration({ tenant, path: '/v1/chat/completions', request, caller, apiKeyId: null });
    } catch (error) {
      // The run's own rate limit (a fast model answers more than LATHE_RATE_LIMIT_RPM a minute): wait it out.
      if (!(error instanceof LatheError) || error.code !== 'TOO_MANY_REQUESTS' || Date.now() > deadline || signal?.aborted) throw error;
      await sleep((error.details.retryAfterSeconds ?? 1) * 1000, signal);
      continue;
    }
    const body = (await response.json().catch(() => null)) as {
      choices?: { message?: { content?: string | null } }[];
      usage?: { prompt_tokens: number; completion_tokens: number };
      error?: { code?: string };
    } | null;
    if (response.status === 200 && body?.choices) {
      return {
        text: body.choices[0]?.message?.content ?? '',
        promptTokens: body.usage?.prompt_tokens ?? 0,
        completionTokens: body.usage?.completion_tokens ?? 0,
      };
    }
    const error = InferenceError.fromBody(response.status, body);
    if (!RETRIED.has(error.code ?? '') || Date.now() > deadline || signal?.aborted) throw error;
    await sleep(Math.max(250, (error.retryAfter ?? 1) * 1000), signal);
  }
}
