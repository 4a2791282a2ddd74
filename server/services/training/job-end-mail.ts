// The mail a user gets when their job ends (succeeded, failed or cancelled): the job's name, its
// final loss, what it cost, and links to the job and to the playground, in the recipient's language.
// Sent once, after the transaction that ended the job has committed, by whichever transition ended
// it (finish-job.ts, failJob in prepare-job.ts, cancelJob in manage-jobs.ts). Users turn it off in
// Settings (User.emailOnJobEnd, on by default); without SMTP it goes to the outbox.
import type { Db } from '@/server/db';
import { publicUrl } from '@/server/env';
import { logger } from '@/server/logger';
import { mailTranslator } from '@/server/services/mail/mail-messages';
import { sendMail } from '@/server/services/mail/send-mail';
import { toApiJobId } from '@/server/services/training/openai-shapes';

export type JobEnding = 'succeeded' | 'failed' | 'cancelled';

/** The mail for one ended job, or null when nobody is to get it. */
export async function jobEndMail({ db, jobId, baseUrl = publicUrl() }: { db: Db; jobId: string; baseUrl?: string }) {
  const job = await db.trainingJob.findUnique({
    where: { id: jobId },
    select: { id: true, suffix: true, status: true, error: true, progress: true, createdById: true, fineTunedModel: { select: { name: true } } },
  });
  if (!job || !job.createdById || !['succeeded', 'failed', 'cancelled'].includes(job.status)) return null;
  const user = await db.user.findUnique({ where: { id: job.createdById }, select: { email: true, locale: true, emailOnJobEnd: true } });
  if (!user?.emailOnJobEnd) return null;
  const { _sum } = await db.creditLedgerEntry.aggregate({ where: { jobId: job.id }, _sum: { amount: true } });
  const cost = _sum.amount ? _sum.amount.neg().toFixed() : '0';
  const loss = (job.progress as { trainLoss?: unknown } | null)?.trainLoss;
  const apiId = toApiJobId(job.id);
  const t = await mailTranslator(user.locale);
  const status = job.status as JobEnding;
  const name = job.suffix ?? apiId;
  const lines = [
    t(`jobEnded.body.${status}`, { name }),
    '',
    t('jobEnded.loss', { loss: typeof loss === 'number' ? loss.toFixed(4) : t('jobEnded.noLoss') }),
    t('jobEnded.cost', { cost }),
  ];
  if (status === 'failed') {
    const message = (job.error as { message?: string } | null)?.message;
    if (message) lines.push(t('jobEnded.error', { message }));
  }
  lines.push('', t('jobEnded.jobLink', { link: `${baseUrl}/jobs/${apiId}` }));
  if (job.fineTunedModel) lines.push(t('jobEnded.playgroundLink', { link: `${baseUrl}/playground?model=${encodeURIComponent(job.fineTunedModel.name)}` }));
  lines.push('', t('jobEnded.settings', { link: `${baseUrl}/settings` }));
  return { to: user.email, subject: t(`jobEnded.subject.${status}`, { name }), text: lines.join('\n') };
}

/** Sends the job-end mail; a mail that cannot be sent is logged and never undoes the job's end. */
export async function mailJobEnded({ db, jobId }: { db: Db; jobId: string }) {
  try {
    const mail = await jobEndMail({ db, jobId });
    if (mail) await sendMail(mail);
  } catch (error) {
    logger.warn({ err: error, jobId }, 'could not send the job-end mail');
  }
}
