// The request queue and the client's event-stream reader, which need no model.
import { describe, expect, it } from 'vitest';
import { readEventData } from '../../server/services/serving/inference-client';
import { InferenceError } from '../../lib/universal/openai/errors';
import { RequestQueue } from './request-queue';

describe('RequestQueue', () => {
  it('runs up to `concurrency` at once, queues the rest in order, and refuses beyond the queue with 429', async () => {
    const queue = new RequestQueue(2, 2);
    const a = await queue.acquire();
    const b = await queue.acquire();
    const order: string[] = [];
    const c = queue.acquire().then((release) => (order.push('c'), release));
    const d = queue.acquire().then((release) => (order.push('d'), release));
    expect(queue.stats).toEqual({ running: 2, waiting: 2 });

    const refused = await queue.acquire().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InferenceError);
    expect(refused).toMatchObject({ status: 429, code: 'server_overloaded' });
    expect((refused as InferenceError).retryAfter).toBeGreaterThanOrEqual(1);

    a();
    a(); // releasing twice frees one slot only
    const releaseC = await c;
    expect(order).toEqual(['c']);
    expect(queue.stats).toEqual({ running: 2, waiting: 1 });
    b();
    const releaseD = await d;
    expect(order).toEqual(['c', 'd']);
    releaseC();
    releaseD();
    expect(queue.stats).toEqual({ running: 0, waiting: 0 });
  });

  it('drops a waiter whose caller gives up, without losing its place to others', async () => {
    const queue = new RequestQueue(1, 4);
    const running = await queue.acquire();
    const controller = new AbortController();
    const gaveUp = queue.acquire(controller.signal).catch((error: unknown) => error);
    const next = queue.acquire();
    controller.abort(new Error('client left'));
    expect(await gaveUp).toMatchObject({ message: 'client left' });
    expect(queue.stats).toEqual({ running: 1, waiting: 1 });
    running();
    (await next)();
    expect(queue.stats).toEqual({ running: 0, waiting: 0 });
  });

  it('fails every waiter on shutdown and keeps running ones', async () => {
    const queue = new RequestQueue(1, 4);
    const running = await queue.acquire();
    const waiting = [queue.acquire(), queue.acquire()].map((p) => p.catch((error: unknown) => error));
    queue.rejectWaiting(new Error('shutting down'));
    for (const result of await Promise.all(waiting)) expect(result).toMatchObject({ message: 'shutting down' });
    expect(queue.stats).toEqual({ running: 1, waiting: 0 });
    running();
  });
});

describe('readEventData', () => {
  it('reassembles events split anywhere across chunks, multi-line data and CRLF included', async () => {
    const text = 'data: {"a":1}\n\n: comment\n\ndata: first\ndata: second\r\n\r\ndata:{"b":"é"}\n\ndata: [DONE]\n\n';
    const bytes = new TextEncoder().encode(text);
    for (const size of [1, 2, 3, 7, bytes.length]) {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += size) controller.enqueue(bytes.subarray(i, i + size));
          controller.close();
        },
      });
      const events: string[] = [];
      for await (const data of readEventData(body)) events.push(data);
      expect(events).toEqual(['{"a":1}', 'first\nsecond', '{"b":"é"}', '[DONE]']);
    }
  });
});
