// A populated organization for the dashboard's page-wide browser tests: a validated dataset, a
// READY base model, a running and a finished job with events and a checkpoint, a finished
// evaluation of that job's fine-tune against its base, and an API key that has been used. Rows
// are written the way the services and the runner write them.
import { getDb } from '@/server/db';
import { appendJobEvents, type NewJobEvent } from '@/server/services/training/job-events';
import { createTestKey, type TestUser } from '@/tests/helpers/factories';
import { seedTokenizerModel, storeFixtureTokenizer, uploadAndValidate } from '@/tests/kit/datasets';
import { seedEvalRun } from '@/tests/kit/evals';

const trainEvent = (seq: number, step: number, total: number, loss: number): NewJobEvent => ({
  seq,
  type: 'metrics',
  message: `Step ${step}/${total}: training loss=${loss.toFixed(4)}`,
  data: { step, total_steps: total, train_loss: loss, train_mean_token_accuracy: 0.3 + step / 100, learning_rate: 2e-4, tokens_per_s: 900, eta_s: (total - step) * 2 },
});

export async function seedDashboard(owner: TestUser, tag: string) {
  const db = getDb();
  const scope = { organizationId: owner.organization.id, projectId: owner.project.id };
  const { row: dataset } = await uploadAndValidate(owner, 'good/chat.jsonl');
  const model = await seedTokenizerModel(owner, `tiny-dashboard-${tag}`, await storeFixtureTokenizer(), {
    projectId: owner.project.id,
    architecture: 'LlamaForCausalLM',
    parameters: 168_000n,
  });
  const job = (status: 'queued' | 'running' | 'succeeded', suffix: string, extra: object = {}) =>
    db.trainingJob.create({
      data: {
        ...scope,
        baseModelId: model.id,
        trainingDatasetId: dataset.id,
        status,
        suffix,
        hyperparameters: { n_epochs: 2, batch_size: 4, learning_rate_multiplier: 1, preset: 'standard' },
        seed: 7,
        estimatedCost: '0.01',
        startedAt: new Date(Date.now() - 120_000),
        heartbeatAt: new Date(),
        ...extra,
      },
    });
  const losses = [2.4, 2.1, 1.9, 1.6, 1.3, 1.1, 1.0, 0.9, 0.85, 0.8];
  const running = await job('running', `run-${tag}`, { progress: { step: 6, totalSteps: 10, epoch: 1.2, etaSeconds: 8, trainLoss: 1.1, tokensPerSecond: 900 } });
  await appendJobEvents({ db, jobId: running.id, events: losses.slice(0, 6).map((loss, i) => trainEvent(1 + i, i + 1, 10, loss)) });
  await db.checkpoint.create({ data: { jobId: running.id, step: 5, metrics: { step: 5, train_loss: 1.3 } } });

  const done = await job('succeeded', `done-${tag}`, { finishedAt: new Date(), trainedTokens: 9000n, progress: { step: 10, totalSteps: 10, etaSeconds: 0 } });
  await db.fineTunedModel.create({ data: { ...scope, name: `ft:${model.name}:${scope.organizationId}:done-${tag}:${done.id}`, baseModelId: model.id, jobId: done.id } });
  await appendJobEvents({
    db,
    jobId: done.id,
    events: [...losses.map((loss, i) => trainEvent(1 + i, i + 1, 10, loss)), { seq: 11, message: 'The job has successfully completed.' }],
  });
  await db.checkpoint.create({ data: { jobId: done.id, step: 10, metrics: { step: 10, train_loss: 0.8 } } });

  // What the ledger holds for the finished job: its reservation and the settlement that returned
  // what it did not use (0.01 reserved, 0.000612 charged).
  await db.creditLedgerEntry.createMany({
    data: [
      { organizationId: scope.organizationId, kind: 'GRANT', amount: '1000', memo: 'test grant' },
      { organizationId: scope.organizationId, kind: 'RESERVATION', amount: '-0.01', jobId: done.id, idempotencyKey: `reserve:${done.id}` },
      { organizationId: scope.organizationId, kind: 'SETTLEMENT', amount: '0.009388', jobId: done.id, idempotencyKey: `settle:${done.id}` },
    ],
  });

  // A job whose row still says queued at step 1 while its trainer's events have reached step 7.
  const lagging = await job('queued', `lag-${tag}`, { progress: { step: 1, totalSteps: 10 } });
  await appendJobEvents({ db, jobId: lagging.id, events: losses.slice(0, 7).map((loss, i) => trainEvent(1 + i, i + 1, 10, loss)) });

  const evaluation = await seedEvalRun(owner, { base: model.name, tuned: `ft:${model.name}:${scope.organizationId}:done-${tag}:${done.id}`, jobId: done.id });

  const key = await createTestKey(owner);
  await db.apiKey.updateMany({ where: { organizationId: owner.organization.id }, data: { lastUsedAt: new Date(Date.now() - 60_000) } });
  return { dataset, model, key, evalRun: evaluation.run.id, running: `ftjob-${running.id}`, runningRaw: running.id, done: `ftjob-${done.id}`, doneRaw: done.id, lagging: `ftjob-${lagging.id}` };
}

/** Collects console errors and uncaught page errors; browser tests fail on any of them. */
export function watchConsole(page: import('playwright-core').Page) {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
  // A failed request logs only its status in the console: name the request too.
  page.on('response', (response) => {
    if (response.status() >= 500) errors.push(`${page.url()}: ${response.request().method()} ${response.url()} answered ${response.status()}`);
  });
  return errors;
}
