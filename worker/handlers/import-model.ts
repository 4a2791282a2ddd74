// model.import: runs a requested base model's import. A model that cannot be imported ends FAILED
// with its reason and the job completes; only infrastructure failures throw (pg-boss retries them).
import { importBaseModel } from '@/server/queue/contracts';
import { runModelImport } from '@/server/services/model-registry/run-model-import';
import { defineHandler } from '@/worker/handlers/define-handler';

export const importModelHandler = defineHandler({
  contract: importBaseModel,
  run: async ({ payload: { modelId }, signal, finalAttempt, log }) => {
    // pg-boss aborts the signal when the job expires or the worker stops: the row stays as it is
    // and the job is retried (resuming a Hub download where it stopped), until the last attempt.
    const outcome = await runModelImport(modelId, { signal, retryWhenAborted: !finalAttempt });
    if (outcome.status === 'FAILED') log.warn({ code: outcome.code, error: outcome.error }, 'model import failed');
    return outcome;
  },
});
