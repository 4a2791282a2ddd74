// The handler wrapper on a real pg-boss queue: what is retried, what is not, and who hears about
// the last failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgBoss, type Job } from 'pg-boss';
import { z } from 'zod';
import { defineJob, ensureQueues, enqueue, InvalidPayloadError, workQueue } from '@/server/queue/contracts';
import { defineHandler, type HandlerContext } from '@/worker/handlers/define-handler';

let boss: PgBoss;
const stamp = Date.now();
const contractNamed = (name: string) => defineJob({ name: `test.${name}.${stamp}`, version: 1, schema: z.object({ n: z.number() }), retryLimit: 1, retryDelay: 1 });

async function settled(queue: string, id: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [job] = await boss.findJobs(queue, { id });
    if (job && ['completed', 'failed'].includes(job.state)) return job;
    if (Date.now() > deadline) throw new Error(`${queue} ${id} still ${job?.state}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  boss = new PgBoss({ connectionString: process.env.DATABASE_URL!, schema: 'pgboss', max: 2 });
  await boss.start();
});

afterAll(async () => {
  await boss?.stop({ graceful: false });
});

describe('defineHandler', () => {
  it('dead-letters a payload that breaks its contract without running the handler or retrying', async () => {
    const contract = contractNamed('bad-payload');
    await ensureQueues(boss, [contract]);
    let runs = 0;
    const handler = defineHandler({ contract, run: async () => void runs++ });
    await workQueue(boss, handler.queue, { batchSize: 1, pollingIntervalSeconds: 0.5 }, handler.handle);
    const id = await boss.send(contract.name, { v: 1, payload: { n: 'three' } });
    const job = await settled(contract.name, id!);
    expect(job.state).toBe('failed');
    expect(job.retryCount).toBe(0);
    expect((job.output as { message?: string }).message).toMatch(new RegExp(`^${contract.name.replaceAll('.', '\\.')}: `));
    expect(runs).toBe(0);
  });

  it('retries a failing handler and gives the last attempt to onFinalFailure, which completes the job', async () => {
    const contract = contractNamed('final-failure');
    await ensureQueues(boss, [contract]);
    const tries: { attempt: number; finalAttempt: boolean; n: number }[] = [];
    const finalFailures: { attempt: number; message: string }[] = [];
    const handler = defineHandler({
      contract,
      run: async ({ attempt, finalAttempt, payload }) => {
        tries.push({ attempt, finalAttempt, n: payload.n });
        throw new Error(`try ${attempt} failed`);
      },
      onFinalFailure: async ({ attempt }, error) => void finalFailures.push({ attempt, message: (error as Error).message }),
    });
    await workQueue(boss, handler.queue, { batchSize: 1, pollingIntervalSeconds: 0.5 }, handler.handle);
    const id = await enqueue(boss, contract, { n: 7 });
    const job = await settled(contract.name, id!);
    expect(job.state).toBe('completed');
    expect(tries).toEqual([
      { attempt: 1, finalAttempt: false, n: 7 },
      { attempt: 2, finalAttempt: true, n: 7 },
    ]);
    expect(finalFailures).toEqual([{ attempt: 2, message: 'try 2 failed' }]);
  });

  it('fails the last attempt when the handler has no onFinalFailure, and passes the parsed payload', async () => {
    const contract = contractNamed('no-hook');
    const seen: HandlerContext<{ n: number }>[] = [];
    const handler = defineHandler({
      contract,
      run: async (context) => {
        seen.push(context);
        throw new Error('still broken');
      },
    });
    const job = (retryCount: number, data: unknown) => ({ id: `j${retryCount}`, name: contract.name, data, retryCount, signal: new AbortController().signal }) as unknown as Job<unknown>;
    await expect(handler.handle(job(1, { v: 1, payload: { n: 1 } }))).rejects.toThrow('still broken');
    expect(seen.map((c) => [c.payload, c.attempt, c.finalAttempt])).toEqual([[{ n: 1 }, 2, true]]);
    await expect(handler.handle(job(0, { v: 2, payload: { n: 1 } }))).rejects.toBeInstanceOf(InvalidPayloadError);
    expect(seen).toHaveLength(1);
  });
});
