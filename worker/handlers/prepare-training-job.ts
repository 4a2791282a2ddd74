// job.prepare: tokenize a job's files and queue it. A content problem fails the job with its
// reason; infrastructure failures throw so pg-boss retries, and the last retry fails the job.
import { prepareTrainingJob } from '@/server/queue/contracts';
import { getBoss } from '@/server/queue/boss';
import { getDb } from '@/server/db';
import { createArtifactStore, artifactStoreConfigFromEnv } from '@/server/services/artifacts/create-artifact-store';
import { failJob, prepareJob } from '@/server/services/training/prepare-job';
import { defineHandler } from '@/worker/handlers/define-handler';

export const prepareTrainingJobHandler = defineHandler({
  contract: prepareTrainingJob,
  run: async ({ payload: { jobId } }) => prepareJob({ db: getDb(), store: createArtifactStore(artifactStoreConfigFromEnv()), boss: await getBoss(), jobId }),
  onFinalFailure: ({ payload: { jobId } }, error) =>
    failJob(getDb(), jobId, { code: 'internal_error', message: `Preparing the job's files failed: ${error instanceof Error ? error.message : String(error)}` }),
});
