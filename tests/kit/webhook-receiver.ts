// A webhook receiver for tests and the benchmark: verifies every request with the reference
// Standard Webhooks implementation (the `standardwebhooks` package, not Lathe's signer), keeps
// each webhook-id once (a replay is answered 200 and counted, not processed again), and answers
// with whatever status the test scripts per endpoint path. Waiters resolve on arrival; no polling.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type Received = { path: string; id: string; timestamp: number; body: Record<string, unknown>; headers: http.IncomingHttpHeaders; receivedAt: number; status: number };

export type WebhookReceiver = {
  url: (path: string) => string;
  /** The secret each path verifies against (several: any of them). */
  setSecrets: (path: string, secrets: string[]) => void;
  /** Statuses answered to the next requests on a path, in order; 200 once they run out. */
  script: (path: string, statuses: number[]) => void;
  /** Every verified request on a path (replays included). */
  requests: (path: string) => Received[];
  /** Ids processed on a path, each once. */
  processed: (path: string) => string[];
  replays: (path: string) => number;
  rejected: (path: string) => number;
  /** Resolves when `count` requests have come to the path. */
  waitFor: (path: string, count: number, timeoutMs?: number) => Promise<Received[]>;
  onReceive?: (received: Received) => void;
  close: () => Promise<void>;
};

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const secrets = new Map<string, string[]>();
  const scripts = new Map<string, number[]>();
  const log = new Map<string, Received[]>();
  const seen = new Map<string, Set<string>>();
  const replays = new Map<string, number>();
  const rejected = new Map<string, number>();
  const waiters: { path: string; count: number; resolve: (r: Received[]) => void }[] = [];
  const receiver: Partial<WebhookReceiver> = {};

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://receiver').pathname;
      const body = Buffer.concat(chunks).toString('utf8');
      const verified = (secrets.get(path) ?? []).some((secret) => {
        try {
          new Webhook(secret).verify(body, req.headers as Record<string, string>);
          return true;
        } catch {
          return false;
        }
      });
      if (!verified) {
        rejected.set(path, (rejected.get(path) ?? 0) + 1);
        res.writeHead(400).end('signature did not verify');
        return;
      }
      const id = String(req.headers['webhook-id']);
      const ids = seen.get(path) ?? new Set<string>();
      seen.set(path, ids);
      const status = scripts.get(path)?.shift() ?? 200;
      // Only an answered 2xx counts as processed; a replay of a processed id is acknowledged and skipped.
      if (ids.has(id)) replays.set(path, (replays.get(path) ?? 0) + 1);
      else if (status < 300) ids.add(id);
      const received: Received = { path, id, timestamp: Number(req.headers['webhook-timestamp']), body: JSON.parse(body) as Record<string, unknown>, headers: req.headers, receivedAt: performance.now(), status };
      const list = log.get(path) ?? [];
      list.push(received);
      log.set(path, list);
      receiver.onReceive?.(received);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `scripted failure ${status}`);
      for (const waiter of [...waiters]) {
        if (waiter.path === path && list.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(list.slice());
        }
      }
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return Object.assign(receiver, {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    setSecrets: (path: string, list: string[]) => void secrets.set(path, list),
    script: (path: string, statuses: number[]) => void scripts.set(path, [...statuses]),
    requests: (path: string) => log.get(path) ?? [],
    processed: (path: string) => [...(seen.get(path) ?? [])],
    replays: (path: string) => replays.get(path) ?? 0,
    rejected: (path: string) => rejected.get(path) ?? 0,
    waitFor: (path: string, count: number, timeoutMs = 60_000) =>
      new Promise<Received[]>((resolve, reject) => {
        const list = log.get(path) ?? [];
        if (list.length >= count) return resolve(list.slice());
        const timer = setTimeout(() => reject(new Error(`${path}: ${list.length} of ${count} webhooks arrived in ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ path, count, resolve: (r) => { clearTimeout(timer); resolve(r); } });
      }),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  }) as WebhookReceiver;
}
