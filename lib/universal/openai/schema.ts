// Request bodies of the inference server's HTTP API (OpenAI's shapes for /v1, Lathe's own for
// /adapters), validated with zod and shared by the server and the client library. Fields OpenAI
// defines that this server cannot honour are refused with a 400 rather than silently ignored;
// fields it does not know are ignored, as OpenAI-compatible servers do.
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { Completion } from 'openai/resources/completions';
import { z } from 'zod';
import { badRequest, type InferenceError } from './errors';

export type { ChatCompletion, ChatCompletionChunk, Completion };

/** Names of models and adapters: the base's name, `ft:...` names, checkpoints, aliases. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/;

const ZContentPart = z.object({ type: z.string(), text: z.string().optional() }).passthrough();

const ZChatMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(ZContentPart)]).nullish(),
  name: z.string().optional(),
});

const sampling = {
  model: z.string().min(1, 'model is required'),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  n: z.number().int().min(1).nullish(),
  logprobs: z.union([z.boolean(), z.number()]).nullish(),
  user: z.string().nullish(),
  /** Not OpenAI's: keep generating past end-of-turn tokens until max_tokens (as vLLM and llama.cpp's server offer; benchmarks use it). */
  ignore_eos: z.boolean().nullish(),
};

export const ZChatCompletionRequest = z.object({
  ...sampling,
  messages: z.array(ZChatMessage).min(1, 'messages must not be empty'),
  tools: z.array(z.unknown()).nullish(),
  response_format: z.object({ type: z.string() }).passthrough().nullish(),
});
export type TChatCompletionRequest = z.infer<typeof ZChatCompletionRequest>;

export const ZCompletionRequest = z.object({
  ...sampling,
  prompt: z.union([z.string(), z.array(z.string()).length(1), z.array(z.number().int().min(0)).min(1)]),
  echo: z.boolean().nullish(),
  suffix: z.string().nullish(),
  best_of: z.number().int().nullish(),
});
export type TCompletionRequest = z.infer<typeof ZCompletionRequest>;

export const ZRegisterAdapterRequest = z.object({
  name: z.string().regex(MODEL_NAME_PATTERN, 'name must be 1-200 characters of letters, digits and . _ : / @ + -'),
  path: z.string().min(1, 'path is required'),
  /** Create the adapter's context now instead of on its first request. */
  wake: z.boolean().optional(),
});
export type TRegisterAdapterRequest = z.infer<typeof ZRegisterAdapterRequest>;

/** A zod failure as the 400 OpenAI answers: the first issue, with its field as `param`. */
export function zodToInferenceError(error: z.ZodError, input: unknown): InferenceError {
  const issue = error.issues[0];
  if (!issue) return badRequest('Invalid request body.');
  if (issue.path.length === 0) return badRequest(`Invalid request body: ${issue.message}`, 'invalid_request');
  const param = issue.path.join('.');
  let value: unknown = input;
  for (const key of issue.path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
  if (value === undefined) return badRequest(`Missing required parameter: '${param}'.`, 'missing_required_parameter', param);
  return badRequest(`Invalid '${param}': ${issue.message}`, 'invalid_request', param);
}

/** Refuses the OpenAI options this server does not implement, naming the parameter. */
export function assertSupported(body: TChatCompletionRequest | TCompletionRequest): void {
  const refuse = (param: string, message: string) => {
    throw badRequest(message, 'unsupported_parameter', param);
  };
  if (body.n != null && body.n !== 1) refuse('n', 'Only n = 1 is supported.');
  if (body.logprobs) refuse('logprobs', 'logprobs are not supported.');
  if ('messages' in body) {
    if (body.tools && body.tools.length > 0) refuse('tools', 'Tool calling is not supported by this server.');
    if (body.response_format && body.response_format.type !== 'text') refuse('response_format', 'Only response_format {"type": "text"} is supported.');
    body.messages.forEach((message, i) => {
      if (Array.isArray(message.content)) {
        message.content.forEach((part, j) => {
          if (part.type !== 'text' || typeof part.text !== 'string') {
            refuse(`messages.${i}.content.${j}`, `Only text content parts are supported (got "${part.type}").`);
          }
        });
      }
    });
  } else {
    if (body.echo) refuse('echo', 'echo is not supported.');
    if (body.suffix) refuse('suffix', 'suffix (fill-in-the-middle) is not supported.');
    if (body.best_of != null && body.best_of !== 1) refuse('best_of', 'Only best_of = 1 is supported.');
  }
}

export type FinishReason = 'stop' | 'length';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface AdapterInfo {
  name: string;
  path: string;
  /** Whether a context with this adapter exists now. */
  awake: boolean;
}

export interface ContextInfo {
  model: string;
  adapter: string | null;
  sequences: number;
  activeRequests: number;
  lastUsedAt: string;
}

export interface InferenceHealth {
  status: 'ok';
  pid: number;
  uptimeMs: number;
  model: {
    name: string;
    path: string;
    architecture: string;
    loaded: true;
    contextSize: number;
    trainContextSize: number;
    hasChatTemplate: boolean;
  };
  adapters: AdapterInfo[];
  contexts: { active: number; max: number; list: ContextInfo[] };
  queue: { running: number; waiting: number; concurrency: number; maxQueue: number };
  /** Generations since start: finished, stopped because the client went away, failed. */
  requests: { completed: number; aborted: number; failed: number };
}

export interface ModelList {
  object: 'list';
  data: Array<{ id: string; object: 'model'; created: number; owned_by: string; parent: string | null }>;
}
