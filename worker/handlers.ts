// The worker's registry: queue name -> handler. Features register their consumers here.
import type { Job } from 'pg-boss';
import { importBaseModel } from '@/server/jobs/registry';
import { handleModelImport } from '@/worker/model-import/import-model';
import { validateDatasetJob } from '@/server/jobs/registry';
import { handleValidateDataset } from '@/worker/dataset/validate-dataset';
import { prepareTrainingJob } from '@/server/jobs/registry';
import { handlePrepareTrainingJob } from '@/worker/jobs/prepare-training-job';

export type Handler = (jobs: Job<unknown>[]) => Promise<unknown>;

export const handlers: Record<string, Handler> = {
  [prepareTrainingJob.name]: handlePrepareTrainingJob,
  [importBaseModel.name]: handleModelImport,
  [validateDatasetJob.name]: handleValidateDataset,
};
