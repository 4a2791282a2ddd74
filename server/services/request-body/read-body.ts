// Request bodies under a size cap. A Content-Length over the cap is refused before a byte is read;
// a body that grows past it (chunked, or longer than it said) is cut off there. Nobody buffers
// more than the cap, whatever the client sends.
import { formatBytes } from '@/server/services/datasets/platform/config';
import { LatheError } from '@/server/services/errors';

export const DEFAULT_MAX_JSON_BODY_BYTES = 1024 * 1024;

/** The largest JSON body accepted, from LATHE_MAX_JSON_BODY_BYTES (bytes; default 1 MiB). */
export function maxJsonBodyBytes(env: Record<string, string | undefined> = process.env): number {
  const raw = env.LATHE_MAX_JSON_BODY_BYTES?.trim();
  if (!raw) return DEFAULT_MAX_JSON_BODY_BYTES;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`LATHE_MAX_JSON_BODY_BYTES must be a positive whole number of bytes, not "${raw}"`);
  return value;
}

export function bodyTooLarge(maxBytes: number): LatheError {
  return new LatheError('PAYLOAD_TOO_LARGE', `The request body is larger than ${formatBytes(maxBytes)}, the most this endpoint accepts; send a smaller body.`, { reason: 'request_too_large' });
}

/**
 * The same request with a body that fails with `tooLarge()` past `maxBytes` (at once when its
 * Content-Length says so), for parsers that read the body themselves (tRPC, next-auth).
 */
export function limitRequestBody(req: Request, maxBytes: number, tooLarge: () => Error = () => bodyTooLarge(maxBytes)): Request {
  if (!req.body) return req;
  const declared = Number(req.headers.get('content-length'));
  let seen = 0;
  const body =
    declared > maxBytes
      ? new ReadableStream<Uint8Array>({ start: (controller) => controller.error(tooLarge()) })
      : req.body.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              seen += chunk.byteLength;
              if (seen > maxBytes) controller.error(tooLarge());
              else controller.enqueue(chunk);
            },
          }),
        );
  return new Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal, duplex: 'half' } as RequestInit);
}

/** The body as text, PAYLOAD_TOO_LARGE (`request_too_large`) past the cap. */
export function readBodyText(req: Request, maxBytes = maxJsonBodyBytes()): Promise<string> {
  return limitRequestBody(req, maxBytes).text();
}
