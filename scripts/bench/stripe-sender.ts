// The sending side of bench:billing, in a process of its own: Stripe signs and sends its
// webhooks on its own machines, so the platform's process should not pay for the sending. Each of
// `concurrency` senders keeps one connection open (node:http with a keep-alive agent: a load
// generator's own cost should be as small as it can be, since here it shares the platform's
// cores). Posts back each delivery's round trip (from just before signing to the answer's body
// read) in ms, and the CPU this process spent on sending.
import { once } from 'node:events';
import http from 'node:http';
import Stripe from 'stripe';

export type SenderJob = { url: string; secret: string; payloads: string[]; concurrency: number };
export type SenderResult = { latencies: number[]; failures: number; wallS: number };

const job = once(process, 'message');
process.send!('ready');
const [{ url, secret, payloads, concurrency }] = (await job) as [SenderJob];
const signer = new Stripe('sk_test_lathe_standin');
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function post(payload: string): Promise<number> {
  const signature = signer.webhooks.generateTestHeaderString({ payload, secret });
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'stripe-signature': signature } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const latencies: number[] = [];
let failures = 0;
let next = 0;
const start = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < payloads.length) {
      const payload = payloads[next++]!;
      const t = performance.now();
      const status = await post(payload).catch(() => 0);
      latencies.push(performance.now() - t);
      if (status !== 200) failures++;
    }
  }),
);
agent.destroy();
process.send!({ latencies, failures, wallS: (performance.now() - start) / 1000 } satisfies SenderResult);
