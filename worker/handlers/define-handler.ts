// The one wrapper around every worker queue's handler: it parses the payload with the queue's
// contract, counts the attempt, times and logs the work, and turns the last attempt's failure over
// to the handler's onFinalFailure. A payload that breaks its contract throws InvalidPayloadError,
// which workQueue dead-letters without retries. Each handler is then only its work.
import type { Job } from 'pg-boss';
import type { z } from 'zod';
import { parsePayload, retryLimitOf, type JobContract } from '@/server/queue/contracts';
import { logger, type Logger } from '@/server/logger';

export type HandlerContext<T> = {
  payload: T;
  /** 1 for the first try. */
  attempt: number;
  /** No retry follows if this attempt throws. */
  finalAttempt: boolean;
  /** Aborted when pg-boss expires the job or the worker stops. */
  signal: AbortSignal;
  log: Logger;
};

export type HandlerDefinition<S extends z.ZodType> = {
  contract: JobContract<S>;
  run: (context: HandlerContext<z.output<S>>) => Promise<unknown>;
  /**
   * The last attempt threw: put the failure on the row users look at. The queue job then
   * completes, as retries are over and the failure is recorded; without this hook it fails.
   */
  onFinalFailure?: (context: HandlerContext<z.output<S>>, error: unknown) => Promise<void>;
};

export type WorkerHandler = { queue: string; handle: (job: Job<unknown>) => Promise<void> };

export function defineHandler<S extends z.ZodType>({ contract, run, onFinalFailure }: HandlerDefinition<S>): WorkerHandler {
  return {
    queue: contract.name,
    async handle(job) {
      const payload = parsePayload(contract, job.data);
      const attempt = job.retryCount + 1;
      const finalAttempt = job.retryCount >= retryLimitOf(contract);
      const log = logger.child({ queue: contract.name, pgBossJobId: job.id, attempt, ...(typeof payload === 'object' ? payload : {}) });
      const context = { payload, attempt, finalAttempt, signal: job.signal, log };
      const started = Date.now();
      try {
        const outcome = await run(context);
        log.info({ outcome, ms: Date.now() - started }, 'job done');
      } catch (error) {
        log.error({ err: error, finalAttempt, ms: Date.now() - started }, 'job failed');
        if (!finalAttempt || !onFinalFailure) throw error;
        await onFinalFailure(context, error);
      }
    },
  };
}
