// The inference server's one error type, answered in OpenAI's shape
// {"error": {"message", "type", "param", "code"}} by the server and raised by the client library.

export type OpenAIErrorType = 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'rate_limit_error' | 'server_error';

export interface OpenAIErrorBody {
  error: { message: string; type: OpenAIErrorType; param: string | null; code: string | null };
}

export class InferenceError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: OpenAIErrorType,
    readonly code: string | null,
    readonly param: string | null = null,
    /** Seconds a client should wait before trying again (429, 503). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'InferenceError';
  }

  toJSON(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  /** Rebuilds an error from an OpenAI-shaped body (or anything else a server answered). */
  static fromBody(status: number, body: unknown, retryAfter?: number): InferenceError {
    const error = (body as Partial<OpenAIErrorBody> | null)?.error;
    if (error && typeof error.message === 'string') {
      return new InferenceError(status, error.message, error.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'), error.code ?? null, error.param ?? null, retryAfter);
    }
    return new InferenceError(status, `The inference server answered HTTP ${status}.`, status >= 500 ? 'server_error' : 'invalid_request_error', 'upstream_error', null, retryAfter);
  }
}

export function isInferenceError(error: unknown): error is InferenceError {
  return error instanceof InferenceError;
}

export const badRequest = (message: string, code = 'invalid_request', param: string | null = null) =>
  new InferenceError(400, message, 'invalid_request_error', code, param);

export const modelNotFound = (model: string) =>
  new InferenceError(404, `The model \`${model}\` does not exist on this inference server.`, 'invalid_request_error', 'model_not_found', 'model');

export const overloaded = (retryAfter: number) =>
  new InferenceError(429, 'The inference server is at capacity and its queue is full; retry shortly.', 'rate_limit_error', 'server_overloaded', null, retryAfter);

export const unavailable = (message: string, retryAfter = 1) =>
  new InferenceError(503, message, 'server_error', 'inference_unavailable', null, retryAfter);

/** The server process went away while it held the request (crash, kill, restart). */
export const upstreamFailed = (message: string) => new InferenceError(502, message, 'server_error', 'inference_server_failed');

export const internalError = (message = 'The inference server had an error while processing the request.') =>
  new InferenceError(500, message, 'server_error', 'internal_error');
