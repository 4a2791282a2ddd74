// dataset.validate: one dataset per job, validated by the platform service, which records the
// last attempt's failure on the dataset itself.
import { validateDatasetJob } from '@/server/queue/contracts';
import { runDatasetValidation } from '@/server/services/datasets/platform/run-dataset-validation';
import { defineHandler } from '@/worker/handlers/define-handler';

export const validateDatasetHandler = defineHandler({
  contract: validateDatasetJob,
  run: ({ payload: { datasetId }, finalAttempt }) => runDatasetValidation({ datasetId, finalAttempt }),
});
