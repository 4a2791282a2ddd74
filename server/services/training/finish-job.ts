// The end of a run: the job's final status for this attempt, the settlement of its reservation to
// the tokens it trained (nothing for a failure), and the notification. Each step is safe to
// repeat, so a runner retries the whole of it after a database restart.
import type { Db } from '@/server/db';
import { settleJob } from '@/server/services/credits/ledger';
import { afterCharge } from '@/server/services/credits/after-charge';
import { trainingPricePerMillion, type PricedModel } from '@/lib/universal/price-book';
import { getPriceBook } from '@/server/services/billing/price-book';
import { notifyJob } from '@/server/services/training/job-events';
import { emitJobEnded } from '@/server/services/webhooks/domain-events';
import { mailJobEnded } from '@/server/services/training/job-end-mail';
import { getBoss } from '@/server/queue/boss';
import { enqueue, evalOnJobSuccessJob } from '@/server/queue/contracts';
import { logger } from '@/server/logger';
import { markRunCancelled, markRunFailed, markSucceeded, type JobWriter, type RunAttempt } from '@/server/services/training/job-transitions';

export type RunEnding =
  | { status: 'succeeded'; trainedTokens: number }
  | { status: 'cancelled'; trainedTokens: number }
  | { status: 'failed'; error: { code: string; message: string } };

export type FinishJobOptions = {
  db: Db;
  job: { id: string; organizationId: string; baseModel: PricedModel };
  attempt: number;
  ending: RunEnding;
};

function endRun(db: JobWriter, run: RunAttempt, ending: RunEnding) {
  switch (ending.status) {
    case 'succeeded':
      return markSucceeded(db, run);
    case 'cancelled':
      return markRunCancelled(db, run, ending.trainedTokens);
    case 'failed':
      return markRunFailed(db, run, ending.error);
  }
}

/** True when this attempt ended the job (then it is settled in the same transaction); false when another attempt holds it. */
export async function finishJob({ db, job, attempt, ending }: FinishJobOptions): Promise<boolean> {
  const pricePerMillion = trainingPricePerMillion(await getPriceBook({ db }), job.baseModel);
  // One transaction, so nobody sees the job ended with its reservation still held.
  const ended = await db.$transaction(async (tx) => {
    const done = await endRun(tx, { jobId: job.id, attempt }, ending);
    if (done) {
      const charged = ending.status === 'failed' ? 0 : ending.trainedTokens;
      await settleJob({ db, tx, organizationId: job.organizationId, jobId: job.id, actualCost: { tokens: charged, pricePerMillion } });
      await emitJobEnded({ db, tx, jobId: job.id, status: ending.status });
    }
    return done;
  });
  await notifyJob(db, { jobId: job.id, status: ending.status });
  if (ended) {
    await afterCharge({ db, organizationId: job.organizationId });
    await mailJobEnded({ db, jobId: job.id });
    if (ending.status === 'succeeded') await requestEvaluation(db, job.id);
  }
  return ended;
}

/** A job created with `evaluation` gets it from the worker (server/services/evals/start-eval-on-success.ts). */
async function requestEvaluation(db: Db, jobId: string): Promise<void> {
  const row = await db.trainingJob.findUnique({ where: { id: jobId }, select: { hyperparameters: true } });
  if (!(row?.hyperparameters as { evaluation?: unknown } | null)?.evaluation) return;
  try {
    await enqueue(await getBoss(), evalOnJobSuccessJob, { jobId }, { singletonKey: `eval-on-success:${jobId}` });
  } catch (error) {
    // The job has succeeded either way; the evaluation can be started by hand from the Evaluations page.
    logger.error({ err: error, jobId }, 'could not queue the evaluation the job asked for');
  }
}
