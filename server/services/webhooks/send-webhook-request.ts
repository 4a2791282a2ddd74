// One HTTP POST of a webhook to the address its destination check approved: the socket connects
// to that address (the `lookup` hook answers with it), while the Host header and TLS name stay
// the URL's. Redirects are not followed; the answer is read up to a small excerpt.
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

export const RESPONSE_EXCERPT_BYTES = 2048;

export type WebhookResponse =
  | { ok: boolean; status: number; body: string; latencyMs: number; error?: undefined }
  | { ok: false; status?: undefined; body?: undefined; latencyMs: number; error: string };

export type SendWebhookRequestOptions = {
  url: URL;
  addresses: { address: string; family: number }[];
  headers: Record<string, string>;
  body: string;
  timeoutMs?: number;
};

function pinnedLookup(addresses: { address: string; family: number }[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) return (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  };
}

export function sendWebhookRequest({ url, addresses, headers, body, timeoutMs = 10_000 }: SendWebhookRequestOptions): Promise<WebhookResponse> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (response: WebhookResponse) => {
      if (settled) return;
      settled = true;
      resolve(response);
    };
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Lathe-Webhooks/1', 'content-length': String(Buffer.byteLength(body)), ...headers },
        lookup: pinnedLookup(addresses),
        timeout: timeoutMs,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < RESPONSE_EXCERPT_BYTES) chunks.push(chunk);
          size += chunk.length;
          if (size > 64 * RESPONSE_EXCERPT_BYTES) response.destroy();
        });
        const done = () => {
          const status = response.statusCode ?? 0;
          const excerpt = Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8');
          finish({ ok: status >= 200 && status < 300, status, body: excerpt, latencyMs: elapsed() });
        };
        response.on('end', done);
        response.on('close', done);
        response.on('error', done);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
    request.on('error', (error) => finish({ ok: false, latencyMs: elapsed(), error: error.message }));
    request.end(body);
  });
}
