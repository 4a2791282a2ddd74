// The web process: Next.js (dashboard, tRPC, /v1) and socket.io on one port.
process.env.LATHE_PROCESS ??= 'web';

import http from 'node:http';
import path from 'node:path';
import next from 'next';
import { Server as SocketServer } from 'socket.io';
import { env, publicUrl } from '@/server/env';
import { logger } from '@/server/logger';
import { disconnectDb, getDb } from '@/server/db';
import { startJobFanout } from '@/server/realtime/job-fanout';
import { readSession } from '@/server/auth/session';
import { httpDuration, httpRequests, metricsResponse, routeClass, startDefaultMetrics } from '@/server/observability/metrics';

process.env.NEXTAUTH_URL ??= publicUrl();
process.env.NEXTAUTH_SECRET ??= env.AUTH_SECRET;

const dev = process.env.LATHE_DEV === '1';
const app = next({ dev, dir: path.resolve(import.meta.dirname, '..'), hostname: 'localhost', port: env.PORT });
const handle = app.getRequestHandler();

startDefaultMetrics('web');
await app.prepare();

/**
 * Takes path segments that are not valid percent-encoding (a stray '%', bytes that are not UTF-8)
 * literally, as if their '%' were '%25'. Next.js would fail to decode them and answer a bare 500;
 * this way the route answers in its own shape (for an id: no such object).
 */
function literalUndecodableSegments(url: string): string {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (!path.includes('%')) return url;
  const segments = path.split('/').map((segment) => {
    try {
      decodeURIComponent(segment);
      return segment;
    } catch {
      return encodeURIComponent(segment);
    }
  });
  return segments.join('/') + (query < 0 ? '' : url.slice(query));
}

const server = http.createServer((req, res) => {
  req.url = literalUndecodableSegments(req.url ?? '/');
  if (req.url === '/metrics') {
    void metricsResponse(res);
    return;
  }
  const route = routeClass(req.url ?? '/');
  const stop = httpDuration.startTimer({ route });
  res.on('finish', () => {
    stop();
    httpRequests.inc({ method: req.method ?? 'GET', route, status: String(res.statusCode) });
  });
  void handle(req, res);
});

export const io = new SocketServer(server, { path: '/socket.io', serveClient: false });
io.use(async (socket, nextFn) => {
  const session = await readSession(socket.handshake.headers.cookie, env.AUTH_SECRET);
  if (!session) return nextFn(new Error('unauthorized'));
  socket.data.session = session;
  nextFn();
});
io.on('connection', (socket) => {
  void socket.join(`user:${(socket.data.session as { userId: string }).userId}`);
});
const fanout = startJobFanout({ io, db: getDb(), databaseUrl: env.DATABASE_URL });

server.listen(env.PORT, env.HOST, () => {
  logger.info({ url: publicUrl() }, `Lathe web listening on ${publicUrl()}`);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down web');
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  await fanout.stop();
  io.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await app.close?.();
  await disconnectDb();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
