// The OpenAI-compatible API's one error shape: {"error": {"message", "type", "param", "code"}}.
import { ZodError } from 'zod';
import { LatheError, type LatheErrorCode } from '@/server/services/errors';
import { logger } from '@/server/logger';

export type OpenAIErrorType = 'invalid_request_error' | 'authentication_error' | 'permission_error' | 'not_found_error' | 'rate_limit_error' | 'insufficient_quota' | 'server_error';

export function openAIError(status: number, message: string, type: OpenAIErrorType, code: string | null = null, param: string | null = null, headers: HeadersInit = {}) {
  return Response.json({ error: { message, type, param, code } }, { status, headers });
}

const STATUS: Record<LatheErrorCode, [number, OpenAIErrorType]> = {
  BAD_REQUEST: [400, 'invalid_request_error'],
  UNAUTHORIZED: [401, 'authentication_error'],
  FORBIDDEN: [403, 'permission_error'],
  NOT_FOUND: [404, 'not_found_error'],
  CONFLICT: [409, 'invalid_request_error'],
  PAYMENT_REQUIRED: [402, 'insufficient_quota'],
  TOO_MANY_REQUESTS: [429, 'rate_limit_error'],
  PRECONDITION_FAILED: [400, 'invalid_request_error'],
  INTERNAL: [500, 'server_error'],
};

export function errorResponse(error: unknown): Response {
  if (error instanceof LatheError) {
    const [status, type] = STATUS[error.code];
    const headers: Record<string, string> = error.details.retryAfterSeconds ? { 'Retry-After': String(error.details.retryAfterSeconds) } : {};
    return openAIError(status, error.message, type, error.details.reason ?? error.code.toLowerCase(), error.details.param ?? null, headers);
  }
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    const param = issue?.path.join('.') || null;
    return openAIError(400, issue ? `Invalid ${param ?? 'request'}: ${issue.message}` : 'Invalid request body.', 'invalid_request_error', 'invalid_request', param);
  }
  logger.error({ err: error }, 'REST request failed');
  return openAIError(500, 'The server had an error while processing your request.', 'server_error', 'internal_error');
}
