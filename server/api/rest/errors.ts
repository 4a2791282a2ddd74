// The OpenAI-compatible API's one error shape, with status and type from the error catalogue: {"error": {"message", "type", "param", "code"}}.
import { ZodError } from 'zod';
import { describeError, type OpenAIErrorType } from '@/lib/universal/errors';
import { LatheError } from '@/server/services/errors';
import { logger } from '@/server/logger';
import { CLOSE_AFTER_ANSWER } from '@/server/services/request-body/read-body';


export function openAIError(status: number, message: string, type: OpenAIErrorType, code: string | null = null, param: string | null = null, headers: HeadersInit = {}) {
  return Response.json({ error: { message, type, param, code } }, { status, headers });
}

/** The handler a /v1 route exports for the methods it does not serve: 405 in OpenAI's shape, where Next.js would send an empty body. */
export function methodNotAllowed(...allowed: string[]) {
  return (req: Request) =>
    openAIError(405, `${req.method} is not supported on ${new URL(req.url).pathname}; use ${allowed.join(' or ')}.`, 'invalid_request_error', 'method_not_allowed', null, { Allow: allowed.join(', ') });
}

export function errorResponse(error: unknown): Response {
  if (error instanceof LatheError) {
    const { openaiStatus: status, type } = describeError(error.code, error.details.reason);
    const headers: Record<string, string> = {
      ...(error.details.retryAfterSeconds ? { 'Retry-After': String(error.details.retryAfterSeconds) } : {}),
      ...(error.code === 'PAYLOAD_TOO_LARGE' ? CLOSE_AFTER_ANSWER : {}),
    };
    return openAIError(status, error.message, type, error.details.reason ?? error.code.toLowerCase(), error.details.param ?? null, headers);
  }
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    if (issue?.code === 'unrecognized_keys') {
      const param = [...issue.path, issue.keys[0]].join('.');
      return openAIError(400, `Unrecognized request argument supplied: ${param}. Remove it or correct its spelling.`, 'invalid_request_error', 'unknown_parameter', param);
    }
    const param = issue?.path.join('.') || null;
    return openAIError(400, issue ? `Invalid ${param ?? 'request'}: ${issue.message}` : 'Invalid request body.', 'invalid_request_error', 'invalid_request', param);
  }
  logger.error({ err: error }, 'REST request failed');
  return openAIError(500, 'The server had an error while processing your request.', 'server_error', 'internal_error');
}
