// The job-end mail on the real database, through the transitions that end a job: cancelling a
// queued job (tRPC job.cancel) and failing one (failJob) each put one mail in the outbox for the
// user who started it, with the job's name, final loss, cost and links; a second cancel sends none;
// a finished job's mail names its model in the playground link and is written in the user's
// language; with the preference off in Settings (account.setNotifications), no mail is made.
import { beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { readOutbox } from '@/server/services/mail/send-mail';
import { jobEndMail } from '@/server/services/training/job-end-mail';
import { failJob } from '@/server/services/training/prepare-job';
import { callerFor, createTestUser, type TestUser } from '@/tests/helpers/factories';
import { seedDashboard } from '@/tests/kit/dashboard';

let user: TestUser;
let world: Awaited<ReturnType<typeof seedDashboard>>;
const tag = Math.random().toString(36).slice(2, 8);
const BASE = 'https://lathe.example';

beforeAll(async () => {
  delete process.env.SMTP_URL;
  user = await createTestUser();
  world = await seedDashboard(user, tag);
  // Jobs started by this user, as createJob records them.
  await getDb().trainingJob.updateMany({ where: { organizationId: user.organization.id }, data: { createdById: user.user.id } });
  await getDb().trainingJob.update({ where: { id: world.doneRaw }, data: { progress: { step: 10, totalSteps: 10, etaSeconds: 0, trainLoss: 0.8123 } } });
}, 120_000);

const mailsAbout = (id: string) => readOutbox(user.email).filter((m) => m.text.includes(`/jobs/${id}`));

describe('job-end mail', () => {
  it('is on by default', async () => {
    expect((await callerFor(user).account.me()).emailOnJobEnd).toBe(true);
  });

  it('is sent once when a queued job is cancelled', async () => {
    await callerFor(user).job.cancel({ id: world.lagging });
    const mails = mailsAbout(world.lagging);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe(`Your fine-tuning job lag-${tag} was cancelled`);
    expect(mails[0]!.text).toContain('Cost: 0 credits');
    await expect(callerFor(user).job.cancel({ id: world.lagging })).rejects.toThrow(/already cancelled/);
    expect(mailsAbout(world.lagging)).toHaveLength(1);
  });

  it('gives the reason when a job fails', async () => {
    await failJob(getDb(), world.runningRaw, { code: 'out_of_memory', message: 'The runner ran out of GPU memory at step 6.' });
    const mails = mailsAbout(world.running);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe(`Your fine-tuning job run-${tag} failed`);
    expect(mails[0]!.text).toContain('Reason: The runner ran out of GPU memory at step 6.');
    expect(mails[0]!.text).toContain('Final training loss: 1.1000');
  });

  it('names the loss, the cost and the links of a finished job, in the user’s language', async () => {
    const mail = await jobEndMail({ db: getDb(), jobId: world.doneRaw, baseUrl: BASE });
    const model = await getDb().fineTunedModel.findFirstOrThrow({ where: { jobId: world.doneRaw } });
    expect(mail).toMatchObject({ to: user.email, subject: `Your fine-tuning job done-${tag} succeeded` });
    expect(mail!.text).toContain('Final training loss: 0.8123');
    expect(mail!.text).toContain('Cost: 0.000612 credits');
    expect(mail!.text).toContain(`${BASE}/jobs/${world.done}`);
    expect(mail!.text).toContain(`${BASE}/playground?model=${encodeURIComponent(model.name)}`);

    await callerFor(user).account.setLocale({ locale: 'de' });
    const german = await jobEndMail({ db: getDb(), jobId: world.doneRaw, baseUrl: BASE });
    expect(german!.subject).toBe(`Ihr Fine-Tuning-Job done-${tag} war erfolgreich`);
    expect(german!.text).toContain('Kosten: 0.000612 Credits');
  });

  it('is not made once the user turns it off in Settings', async () => {
    await callerFor(user).account.setNotifications({ emailOnJobEnd: false });
    expect((await callerFor(user).account.me()).emailOnJobEnd).toBe(false);
    expect(await jobEndMail({ db: getDb(), jobId: world.doneRaw, baseUrl: BASE })).toBeNull();
  });
});
