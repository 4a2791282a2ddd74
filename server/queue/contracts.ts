// Typed job contracts: each queue has a name, a version and a zod payload, declared once here,
// so `enqueue(name, payload)` is type-checked and consumers get parsed payloads. A payload that
// fails validation is a bug, not a transient failure: it is failed without retries.
import type { Job, JobResult, PgBoss, WorkOptions } from 'pg-boss';
import { z } from 'zod';

export type JobContract<S extends z.ZodType> = {
  name: string;
  version: number;
  schema: S;
  retryLimit?: number;
  retryDelay?: number;
  expireInSeconds?: number;
  /** NOTIFY on send, so consumers started with useListenNotify pick a job up at once instead of at their next poll. */
  notify?: boolean;
};

export function defineJob<S extends z.ZodType>(contract: JobContract<S>) {
  return contract;
}

export const prepareTrainingJob = defineJob({
  name: 'job.prepare',
  version: 1,
  schema: z.object({ jobId: z.string().min(1) }),
  retryLimit: 3,
});

export const runTrainingJob = defineJob({
  name: 'job.train',
  version: 1,
  // attempt fences runs: a runner only works on the attempt it was handed.
  schema: z.object({ jobId: z.string().min(1), attempt: z.number().int().min(1) }),
  retryLimit: 2,
  // A run lasts as long as training does; lost runners are detected by heartbeat, not by expiry.
  // 24 h is the longest expiry pg-boss accepts: createQueue refuses more, which stops every queue.
  expireInSeconds: 24 * 3600,
  // An idle runner starts a queued job within milliseconds rather than after half a polling interval.
  notify: true,
});

export const importBaseModel = defineJob({
  name: 'model.import',
  version: 1,
  schema: z.object({ modelId: z.string().min(1) }),
  retryLimit: 2,
  // Downloading and converting a large model takes hours; pg-boss caps expiry at 24 h.
  expireInSeconds: 12 * 3600,
});

export const validateDatasetJob = defineJob({
  name: 'dataset.validate',
  version: 1,
  schema: z.object({ datasetId: z.string().min(1) }),
  retryLimit: 3,
});

export const deliverWebhookJob = defineJob({
  name: 'webhook.deliver',
  version: 1,
  // The delivery's own schedule (server/services/webhooks/deliver-webhook.ts) spaces the retries
  // over 24 hours: each failed try queues the next with startAfter. pg-boss retries only when the
  // handler itself broke (the database went away), before the try was recorded.
  schema: z.object({ deliveryId: z.string().min(1) }),
  retryLimit: 5,
  retryDelay: 5,
  expireInSeconds: 120,
  notify: true,
});

export const pushToHubJob = defineJob({
  name: 'hub.push',
  version: 1,
  // The push row (HubPush) records the outcome; pg-boss retries only when the handler itself broke.
  schema: z.object({ pushId: z.string().min(1) }),
  retryLimit: 2,
  // Uploading a merged model of many gigabytes takes hours.
  expireInSeconds: 6 * 3600,
  notify: true,
});

export const runEvalJob = defineJob({
  name: 'eval.run',
  version: 1,
  // The run row records the outcome and each graded answer, so a retry resumes where it stopped.
  schema: z.object({ runId: z.string().min(1) }),
  retryLimit: 2,
  // Many examples on several models through a busy runner take a while.
  expireInSeconds: 6 * 3600,
  notify: true,
});

export const evalOnJobSuccessJob = defineJob({
  name: 'eval.on-job-success',
  version: 1,
  // Sent by finishJob for a job that asked for an evaluation; the handler starts it once.
  schema: z.object({ jobId: z.string().min(1) }),
  retryLimit: 3,
  notify: true,
});

/** Every queue Lathe uses. Features add their contracts here. */
export const jobs = {
  prepareTrainingJob,
  runTrainingJob,
  importBaseModel,
  validateDatasetJob,
  deliverWebhookJob,
  pushToHubJob,
  runEvalJob,
  evalOnJobSuccessJob,
} as const satisfies Record<string, JobContract<z.ZodType>>;

export type JobName = keyof typeof jobs;

/** Retries after the first try; an attempt with this many retries behind it is the last. */
export const retryLimitOf = (contract: JobContract<z.ZodType>) => contract.retryLimit ?? 3;

export class InvalidPayloadError extends Error {}

export async function ensureQueues(boss: PgBoss, contracts: readonly JobContract<z.ZodType>[] = Object.values(jobs)) {
  for (const c of contracts) {
    await boss.createQueue(c.name, { retryLimit: retryLimitOf(c), retryDelay: c.retryDelay ?? 5, retryBackoff: true, ...(c.expireInSeconds ? { expireInSeconds: c.expireInSeconds } : {}), ...(c.notify ? { notify: true } : {}) });
    // createQueue leaves an existing queue as it is: a queue made before notify was set gets it here.
    if (c.notify) await boss.updateQueue(c.name, { notify: true });
  }
}

export async function enqueue<S extends z.ZodType>(boss: PgBoss, contract: JobContract<S>, payload: z.input<S>, options: Record<string, unknown> = {}) {
  const parsed = contract.schema.parse(payload);
  return boss.send(contract.name, { v: contract.version, payload: parsed }, options);
}

/** Parses a received job's data against its contract; throws InvalidPayloadError when it does not fit. */
export function parsePayload<S extends z.ZodType>(contract: JobContract<S>, data: unknown): z.output<S> {
  const envelope = data as { v?: number; payload?: unknown } | null;
  if (!envelope || envelope.v !== contract.version) throw new InvalidPayloadError(`${contract.name}: expected payload version ${contract.version}, got ${envelope?.v}`);
  const result = contract.schema.safeParse(envelope.payload);
  if (!result.success) throw new InvalidPayloadError(`${contract.name}: ${result.error.message}`);
  return result.data;
}

const errorOutput = (error: unknown) => (error instanceof Error ? { message: error.message, stack: error.stack } : { message: String(error) });

/**
 * boss.work with an outcome per job: a payload that breaks its contract (InvalidPayloadError) is
 * failed for good through pg-boss's dead-letter disposition, which skips the remaining retries
 * (boss.fail would schedule them); any other error fails the job for a retry with backoff.
 */
export function workQueue(
  boss: PgBoss,
  name: string,
  options: Omit<WorkOptions, 'perJobResults' | 'transactional'>,
  handler: (job: Job<unknown>) => Promise<unknown>,
  onInvalidPayload?: (job: Job<unknown>, error: InvalidPayloadError) => void,
) {
  return boss.work(name, { ...options, perJobResults: true }, async (batch: Job<unknown>[]) => {
    const results: JobResult[] = [];
    for (const job of batch) {
      try {
        results.push({ id: job.id, status: 'completed', output: (await handler(job)) ?? undefined });
      } catch (error) {
        if (error instanceof InvalidPayloadError) {
          onInvalidPayload?.(job, error);
          results.push({ id: job.id, status: 'deadletter', output: errorOutput(error) });
        } else {
          results.push({ id: job.id, status: 'failed', output: errorOutput(error) });
        }
      }
    }
    return results;
  });
}
