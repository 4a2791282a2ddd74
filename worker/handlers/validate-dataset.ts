// Consumer of `dataset.validate`: one dataset per job, validated by the platform service.
import type { Job } from 'pg-boss';
import { parsePayload, validateDatasetJob } from '@/server/queue/contracts';
import { runDatasetValidation } from '@/server/services/datasets/platform/run-dataset-validation';
import { logger } from '@/server/logger';

export async function handleValidateDataset(jobs: Job<unknown>[]): Promise<void> {
  for (const job of jobs) {
    const { datasetId } = parsePayload(validateDatasetJob, job.data);
    const started = Date.now();
    const outcome = await runDatasetValidation({ datasetId, finalAttempt: job.retryCount >= (validateDatasetJob.retryLimit ?? 3) });
    logger.info({ datasetId, outcome, ms: Date.now() - started }, 'dataset validated');
  }
}
