// The inference server's one error type, answered in OpenAI's shape
// {"error": {"message", "type", "param", "code"}} by the server and raised by the client library.
// Status and type come from the error catalogue (../errors.ts) by the error's code.
import { classForStatus, classOf, describeError, isErrorCode, type CodeOfClass, type ErrorCode, type OpenAIErrorType } from '../errors';

export type { OpenAIErrorType };

export interface OpenAIErrorBody {
  error: { message: string; type: OpenAIErrorType; param: string | null; code: string | null };
}

interface InferenceErrorOptions {
  param?: string | null;
  /** Seconds a client should wait before trying again (429, 503). */
  retryAfter?: number;
}

export class InferenceError extends Error {
  readonly code: string | null;
  readonly status: number;
  readonly type: OpenAIErrorType;
  readonly param: string | null;
  readonly retryAfter?: number;

  constructor(code: ErrorCode, message: string, options: InferenceErrorOptions = {}) {
    super(message);
    this.name = 'InferenceError';
    this.code = code;
    const described = describeError(classOf(code), code);
    this.status = described.openaiStatus;
    this.type = described.type;
    this.param = options.param ?? null;
    this.retryAfter = options.retryAfter;
  }

  toJSON(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  /** Rebuilds an error from an OpenAI-shaped body (or anything else a server answered), keeping its status, type and code. */
  static fromBody(status: number, body: unknown, retryAfter?: number): InferenceError {
    const error = (body as Partial<OpenAIErrorBody> | null)?.error;
    const known = error && typeof error.message === 'string';
    const code = known && error.code && isErrorCode(error.code) ? error.code : 'upstream_error';
    const rebuilt = new InferenceError(code, known ? error.message! : `The inference server answered HTTP ${status}.`, { param: known ? (error.param ?? null) : null, retryAfter });
    // The answer is passed on as the server gave it, even where the catalogue would say otherwise.
    return Object.assign(rebuilt, { status, type: (known && error.type) || describeError(classForStatus(status)).type, code: known ? (error.code ?? null) : 'upstream_error' });
  }
}

export function isInferenceError(error: unknown): error is InferenceError {
  return error instanceof InferenceError;
}

export const badRequest = (message: string, code: CodeOfClass<'BAD_REQUEST'> = 'invalid_request', param: string | null = null) => new InferenceError(code, message, { param });

export const modelNotFound = (model: string) =>
  new InferenceError('model_not_found', `The model \`${model}\` does not exist on this inference server.`, { param: 'model' });

export const overloaded = (retryAfter: number) =>
  new InferenceError('server_overloaded', 'The inference server is at capacity and its queue is full; retry shortly.', { retryAfter });

export const unavailable = (message: string, retryAfter = 1) => new InferenceError('inference_unavailable', message, { retryAfter });

/** The server process went away while it held the request (crash, kill, restart). */
export const upstreamFailed = (message: string) => new InferenceError('inference_server_failed', message);

export const internalError = (message = 'The inference server had an error while processing the request.') => new InferenceError('internal_error', message);
