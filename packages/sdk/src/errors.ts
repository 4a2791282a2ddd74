// One error type for every failure the SDK reports: tRPC errors, /v1 (OpenAI-shaped) errors and
// upload refusals all become a LatheApiError with the catalogue's code, the HTTP status and the
// parameter at fault.
import { TRPCClientError } from '@trpc/client';
import { ERROR_CODES, isErrorCode } from '../../../lib/universal/errors';

export class LatheApiError extends Error {
  override readonly name = 'LatheApiError';
  /** A machine code from Lathe's error catalogue (`insufficient_credits`, `model_not_found`, …) or, failing one, the tRPC/OpenAI code. */
  readonly code: string;
  /** The HTTP status (0 when no answer came: the network failed). */
  readonly status: number;
  /** The request field at fault, when one is. */
  readonly param: string | null;
  /** What to do about it, from the catalogue, when the code is one it knows. */
  readonly action: string | null;

  constructor(message: string, opts: { code: string; status: number; param?: string | null; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.code = opts.code;
    this.status = opts.status;
    this.param = opts.param ?? null;
    this.action = isErrorCode(opts.code) ? ((ERROR_CODES[opts.code] as { action?: string }).action ?? null) : null;
  }
}

type TrpcErrorData = { code?: string; httpStatus?: number; param?: string | null; reason?: string | null };

/** Any error from a tRPC call as a LatheApiError (others are returned as they are). */
export function fromTrpcError(error: unknown): unknown {
  if (!(error instanceof TRPCClientError)) return error;
  const data = (error.data ?? {}) as TrpcErrorData;
  const status = data.httpStatus ?? (error.cause ? 0 : 500);
  const code = data.reason ?? (data.code ? data.code.toLowerCase() : status === 0 ? 'connection_error' : 'error');
  return new LatheApiError(error.message, { code, status, param: data.param ?? null, cause: error });
}

/** A non-2xx /v1 answer as a LatheApiError, read from OpenAI's `{ error: { message, type, param, code } }`. */
export async function fromResponse(response: Response): Promise<LatheApiError> {
  const text = await response.text().catch(() => '');
  let body: { error?: { message?: string; type?: string; param?: string | null; code?: string | null } } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON: the text is the message
  }
  const message = body.error?.message ?? (text.trim() || `HTTP ${response.status}`);
  return new LatheApiError(message, { code: body.error?.code ?? body.error?.type ?? `http_${response.status}`, status: response.status, param: body.error?.param ?? null });
}

export async function trpcCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw fromTrpcError(error);
  }
}
