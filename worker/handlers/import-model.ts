// model.import: runs a requested base model's import. A model that cannot be imported ends FAILED
// with its reason and the job completes; only infrastructure failures throw (pg-boss retries them).
import type { Job } from 'pg-boss';
import { importBaseModel, parsePayload } from '@/server/queue/contracts';
import { logger } from '@/server/logger';
import { runModelImport } from '@/server/services/model-registry/run-model-import';

export async function handleModelImport(jobs: Job<unknown>[]): Promise<void> {
  for (const job of jobs) {
    const { modelId } = parsePayload(importBaseModel, job.data);
    const started = Date.now();
    // pg-boss aborts the signal when the job expires or the worker stops: the row stays as it is
    // and the job is retried (resuming a Hub download where it stopped), until the last attempt.
    const retriesLeft = job.retryCount < (importBaseModel.retryLimit ?? 0);
    const outcome = await runModelImport(modelId, { signal: job.signal, retryWhenAborted: retriesLeft });
    const ms = Date.now() - started;
    if (outcome.status === 'FAILED') logger.warn({ modelId, code: outcome.code, error: outcome.error, ms }, 'model import failed');
    else logger.info({ modelId, status: outcome.status, ms }, 'model import finished');
  }
}
