// eval.on-job-success: a succeeded job that asked for an evaluation gets its run (once; a refusal
// is recorded as a failed run, so the queue job itself completes).
import { evalOnJobSuccessJob } from '@/server/queue/contracts';
import { getDb } from '@/server/db';
import { startEvalOnSuccess } from '@/server/services/evals/start-eval-on-success';
import { defineHandler } from '@/worker/handlers/define-handler';

export const evalOnJobSuccessHandler = defineHandler({
  contract: evalOnJobSuccessJob,
  run: ({ payload: { jobId } }) => startEvalOnSuccess({ db: getDb(), jobId }),
});
