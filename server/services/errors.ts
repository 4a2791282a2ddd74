// The one error type services throw. Its class and machine code come from the error catalogue
// (lib/universal/errors.ts); each API surface turns it into its own shape in one place: tRPC
// (server/api/trpc.ts) and the OpenAI-compatible REST API (server/api/rest/errors.ts).
import type { ErrorClass, ErrorCode } from '@/lib/universal/errors';

export type LatheErrorCode = ErrorClass;

export class LatheError extends Error {
  constructor(
    public readonly code: LatheErrorCode,
    message: string,
    public readonly details: { param?: string; reason?: ErrorCode | (string & {}); retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'LatheError';
  }
}

export const notFound = (what: string) => new LatheError('NOT_FOUND', `${what} not found`);
