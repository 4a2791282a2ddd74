// Prometheus metrics, one registry per process (prom-client's default), served at /metrics of
// each process's ops port (127.0.0.1 only), never on the web app's public port.
import http from 'node:http';
import client from 'prom-client';

let started = false;

export function startDefaultMetrics(processName: string) {
  if (started) return;
  started = true;
  client.register.setDefaultLabels({ process: processName });
  client.collectDefaultMetrics();
}

export const httpRequests = new client.Counter({
  name: 'lathe_http_requests_total',
  help: 'HTTP requests by method, app route and status',
  labelNames: ['method', 'route', 'status'] as const,
});

export const httpDuration = new client.Histogram({
  name: 'lathe_http_request_duration_seconds',
  help: 'HTTP request duration by app route',
  labelNames: ['route'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

export async function metricsResponse(res: http.ServerResponse) {
  res.writeHead(200, { 'content-type': client.register.contentType });
  res.end(await client.register.metrics());
}

/** A small HTTP server for processes without a web app: /health and /metrics. */
export function startOpsServer(opts: { port: number; host?: string; processName: string; health: () => Promise<Record<string, unknown>> }) {
  startDefaultMetrics(opts.processName);
  const server = http.createServer(async (req, res) => {
    if (req.url === '/metrics') return metricsResponse(res);
    if (req.url === '/health') {
      try {
        const body = await opts.health();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', ...body }));
      } catch (error) {
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', error: String(error) }));
      }
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(opts.port, opts.host ?? '127.0.0.1');
  return server;
}
