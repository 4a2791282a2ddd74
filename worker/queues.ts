// The worker's registry: queue name -> handler. Features register their consumers here.
import type { Job } from 'pg-boss';
import { importBaseModel } from '@/server/queue/contracts';
import { handleModelImport } from '@/worker/handlers/import-model';
import { validateDatasetJob } from '@/server/queue/contracts';
import { handleValidateDataset } from '@/worker/handlers/validate-dataset';
import { prepareTrainingJob } from '@/server/queue/contracts';
import { handlePrepareTrainingJob } from '@/worker/handlers/prepare-training-job';

export type Handler = (jobs: Job<unknown>[]) => Promise<unknown>;

export const handlers: Record<string, Handler> = {
  [prepareTrainingJob.name]: handlePrepareTrainingJob,
  [importBaseModel.name]: handleModelImport,
  [validateDatasetJob.name]: handleValidateDataset,
};
