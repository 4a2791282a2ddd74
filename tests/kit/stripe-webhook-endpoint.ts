// The platform's webhook route (app/api/stripe/webhook/route.ts) behind a plain HTTP server in
// the test process, so webhooks travel over HTTP to the real route code without a web build.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { POST } from '@/app/api/stripe/webhook/route';

/**
 * `keepAlive` keeps idle connections open for Node's default 5 s, as the web server does (the
 * billing benchmark's senders hold theirs); tests close them at once.
 */
export async function startWebhookEndpoint({ keepAlive = false }: { keepAlive?: boolean } = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
    try {
      const response = await POST(new Request(`http://127.0.0.1${req.url}`, { method: 'POST', headers, body: Buffer.concat(chunks) }));
      res.writeHead(response.status, { 'content-type': 'application/json' });
      res.end(await response.text());
    } catch (error) {
      // What Next.js does with a route that throws: a 500, which Stripe retries.
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(error) }));
    }
  });
  if (!keepAlive) server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url: `http://127.0.0.1:${port}/api/stripe/webhook`, close };
}
