// Request bodies under a size cap. A Content-Length over the cap is refused before a byte is read;
// a body that grows past it (chunked, or longer than it said) is cut off there. Nobody buffers
// more than the cap, whatever the client sends.
import { byteLimitFromEnv, formatBytes } from '@/server/services/datasets/platform/config';
import { LatheError } from '@/server/services/errors';

export const DEFAULT_MAX_JSON_BODY_BYTES = 1024 * 1024;

/** The largest JSON body accepted, from LATHE_MAX_JSON_BODY_BYTES (bytes; default 1 MiB). */
export function maxJsonBodyBytes(env: Record<string, string | undefined> = process.env): number {
  return byteLimitFromEnv('LATHE_MAX_JSON_BODY_BYTES', DEFAULT_MAX_JSON_BODY_BYTES, env);
}

export function bodyTooLarge(maxBytes: number): LatheError {
  return new LatheError('PAYLOAD_TOO_LARGE', `The request body is larger than ${formatBytes(maxBytes)}, the most this endpoint accepts; send a smaller body.`, { reason: 'request_too_large' });
}

/**
 * Headers for a 413 of any route: the connection closes once the answer is out, so the rest of a
 * refused body is not received at all.
 */
export const CLOSE_AFTER_ANSWER = { Connection: 'close' } as const;

/**
 * The same request with a body that fails with `tooLarge()` past `maxBytes` (at once when its
 * Content-Length says so), for parsers that read the body themselves (tRPC, next-auth). The
 * original body is left as it is, not cancelled: cancelling it would tear down the socket before
 * the 413 is written.
 */
export function limitRequestBody(req: Request, maxBytes: number, tooLarge: () => Error = () => bodyTooLarge(maxBytes)): Request {
  if (!req.body) return req;
  let body: ReadableStream<Uint8Array>;
  if (Number(req.headers.get('content-length')) > maxBytes) {
    body = new ReadableStream({ start: (controller) => controller.error(tooLarge()) });
  } else {
    const reader = req.body.getReader();
    let seen = 0;
    body = new ReadableStream({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        seen += value.byteLength;
        if (seen <= maxBytes) return controller.enqueue(value);
        controller.error(tooLarge());
        reader.releaseLock();
      },
      cancel: (reason) => reader.cancel(reason),
    });
  }
  return new Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal, duplex: 'half' } as RequestInit);
}

/** The body as text, PAYLOAD_TOO_LARGE (`request_too_large`) past the cap. */
export function readBodyText(req: Request, maxBytes = maxJsonBodyBytes()): Promise<string> {
  return limitRequestBody(req, maxBytes).text();
}
