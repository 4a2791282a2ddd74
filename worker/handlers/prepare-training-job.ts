// job.prepare: tokenize a job's files and queue it. A content problem fails the job with its
// reason; infrastructure failures throw so pg-boss retries, and the last retry fails the job.
import type { Job } from 'pg-boss';
import { parsePayload, prepareTrainingJob } from '@/server/queue/contracts';
import { getBoss } from '@/server/queue/boss';
import { getDb } from '@/server/db';
import { createArtifactStore, artifactStoreConfigFromEnv } from '@/server/services/artifacts/create-artifact-store';
import { failJob, prepareJob } from '@/server/services/training/prepare-job';
import { logger } from '@/server/logger';

export async function handlePrepareTrainingJob(jobs: Job<unknown>[]): Promise<void> {
  const store = createArtifactStore(artifactStoreConfigFromEnv());
  for (const job of jobs) {
    const { jobId } = parsePayload(prepareTrainingJob, job.data);
    try {
      await prepareJob({ db: getDb(), store, boss: await getBoss(), jobId });
    } catch (error) {
      const retries = (job as Job<unknown> & { retryCount?: number }).retryCount ?? 0;
      logger.error({ err: error, jobId, retries }, 'preparing the training job failed');
      if (retries >= (prepareTrainingJob.retryLimit ?? 3)) {
        await failJob(getDb(), jobId, { code: 'internal_error', message: `Preparing the job's files failed: ${error instanceof Error ? error.message : String(error)}` });
        return;
      }
      throw error;
    }
  }
}
