// The one error type services throw. Each API surface turns it into its own shape in one place:
// tRPC (server/api/trpc.ts) and the OpenAI-compatible REST API (server/api/rest/errors.ts).
export type LatheErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYMENT_REQUIRED'
  | 'TOO_MANY_REQUESTS'
  | 'PRECONDITION_FAILED'
  | 'INTERNAL';

export class LatheError extends Error {
  constructor(
    public readonly code: LatheErrorCode,
    message: string,
    public readonly details: { param?: string; reason?: string; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'LatheError';
  }
}

export const notFound = (what: string) => new LatheError('NOT_FOUND', `${what} not found`);
