// The worker's registry: every queue it consumes and its handler. Features register theirs here.
import { importModelHandler } from '@/worker/handlers/import-model';
import { pushToHubHandler } from '@/worker/handlers/push-to-hub';
import { prepareTrainingJobHandler } from '@/worker/handlers/prepare-training-job';
import { validateDatasetHandler } from '@/worker/handlers/validate-dataset';
import { deliverWebhookHandler } from '@/worker/handlers/deliver-webhook';
import { runEvalHandler } from '@/worker/handlers/run-eval';
import { evalOnJobSuccessHandler } from '@/worker/handlers/eval-on-job-success';
import type { WorkerHandler } from '@/worker/handlers/define-handler';

export const handlers: readonly WorkerHandler[] = [prepareTrainingJobHandler, importModelHandler, validateDatasetHandler, deliverWebhookHandler, pushToHubHandler, runEvalHandler, evalOnJobSuccessHandler];
