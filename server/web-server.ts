// The web process: Next.js (dashboard, tRPC, /v1) and socket.io on one port; /metrics and /health
// on an ops port of their own (WEB_OPS_PORT, on 127.0.0.1 unless WEB_OPS_HOST says otherwise).
process.env.LATHE_PROCESS ??= 'web';

import http from 'node:http';
import path from 'node:path';
import next from 'next';
import { Server as SocketServer } from 'socket.io';
import { env, publicUrl } from '@/server/env';
import { logger } from '@/server/logger';
import { disconnectDb, getDb } from '@/server/db';
import { authenticateSocket, startJobFanout } from '@/server/realtime/job-fanout';
import { UPLOAD_PATH, uploadServer } from '@/server/api/upload-server';
import { httpDuration, httpRequests, startDefaultMetrics, startOpsServer } from '@/server/observability/metrics';
import { builtRoutePatterns, createRouteLabeler, methodLabel } from '@/server/observability/route-labels';
import { CLIENT_ADDRESS_HEADER, parseTrustedProxies, resolveClientAddress } from '@/server/services/auth/client-address';

process.env.NEXTAUTH_URL ??= publicUrl();
process.env.NEXTAUTH_SECRET ??= env.AUTH_SECRET;

const dev = process.env.LATHE_DEV === '1';
const root = path.resolve(import.meta.dirname, '..');
const app = next({ dev, dir: root, hostname: 'localhost', port: env.PORT });
const handle = app.getRequestHandler();
const trustedProxies = parseTrustedProxies(env.LATHE_TRUSTED_PROXIES);

startDefaultMetrics('web');
await app.prepare();
const routeLabel = createRouteLabeler(builtRoutePatterns(path.join(root, '.next')));

/**
 * Takes path segments that are not valid percent-encoding (a stray '%', bytes that are not UTF-8)
 * literally, as if their '%' were '%25'. Next.js would fail to decode them and answer a bare 500;
 * this way the route answers in its own shape (for an id: no such object).
 */
function literalUndecodableSegments(url: string): string {
  const query = url.indexOf('?');
  const pathname = query < 0 ? url : url.slice(0, query);
  if (!pathname.includes('%')) return url;
  const segments = pathname.split('/').map((segment) => {
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
  // Replaces whatever the client sent under this name: routes read the address from here.
  req.headers[CLIENT_ADDRESS_HEADER] = resolveClientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustedProxies);
  const route = routeLabel(req.url ?? '/');
  const stop = httpDuration.startTimer({ route });
  res.on('finish', () => {
    stop();
    httpRequests.inc({ method: methodLabel(req.method), route, status: String(res.statusCode) });
  });
  // An upload's bytes go to the tus server as the Node stream they arrive as: through Next's route
  // they would first be turned into a web stream, chunk by chunk (docs/benchmarks.md, SDK).
  // Its other requests (create, offset, abandon) take the route in app/api/uploads.
  if (req.method === 'PATCH' && req.url?.startsWith(`${UPLOAD_PATH}/`)) {
    uploadServer()
      .handle(req, res)
      .catch((error: unknown) => {
        logger.error({ err: error }, 'upload request failed');
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    return;
  }
  void handle(req, res);
});
const ops = startOpsServer({
  port: env.WEB_OPS_PORT,
  host: env.WEB_OPS_HOST,
  processName: 'web',
  health: async () => {
    await getDb().$queryRawUnsafe('SELECT 1');
    return { database: 'ok' };
  },
});

export const io = new SocketServer(server, { path: '/socket.io', serveClient: false });
io.use(authenticateSocket({ db: getDb(), secret: env.AUTH_SECRET }));
io.on('connection', (socket) => {
  const session = socket.data.session as { userId: string } | undefined;
  if (session) void socket.join(`user:${session.userId}`);
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
  ops.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await app.close?.();
  await disconnectDb();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
