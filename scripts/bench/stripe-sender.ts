// The sending side of bench:billing, in a process of its own: Stripe signs and sends its
// webhooks on its own machines, so the platform's process should not pay for the sending. Posts
// back each delivery's round trip (from just before signing to the answer's body read) in ms.
import { once } from 'node:events';
import Stripe from 'stripe';
import { deliverWebhook } from '../../tests/kit/stripe-server';

export type SenderJob = { url: string; secret: string; payloads: string[]; concurrency: number };
export type SenderResult = { latencies: number[]; failures: number; wallS: number };

const [{ url, secret, payloads, concurrency }] = (await once(process, 'message')) as [SenderJob];
const signer = new Stripe('sk_test_lathe_standin');
const latencies: number[] = [];
let failures = 0;
let next = 0;
const start = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < payloads.length) {
      const payload = payloads[next++]!;
      const t = performance.now();
      const response = await deliverWebhook({ url, payload, secret, signer });
      await response.arrayBuffer();
      latencies.push(performance.now() - t);
      if (response.status !== 200) failures++;
    }
  }),
);
process.send!({ latencies, failures, wallS: (performance.now() - start) / 1000 } satisfies SenderResult);
