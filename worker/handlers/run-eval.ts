// eval.run: one eval run per job. The run row records its outcome, so the last attempt's
// unexpected failure fails the run (finalAttempt) rather than leaving it running.
import { runEvalJob } from '@/server/queue/contracts';
import { runEval } from '@/server/services/evals/run-eval';
import { defineHandler } from '@/worker/handlers/define-handler';

export const runEvalHandler = defineHandler({
  contract: runEvalJob,
  run: ({ payload: { runId }, signal, finalAttempt }) => runEval({ runId, signal, finalAttempt }),
});
