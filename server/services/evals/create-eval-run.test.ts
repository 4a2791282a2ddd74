// Starting an eval through tRPC with a real database: what is refused up front (a training file, a
// set still validating, a broken grader, an unknown model, a judge that is not deployed, which must
// answer at once rather than wait for a deployment), what a good request queues, and the worker's
// own fail-fast when the judge went away before the run started.
import { TRPCError } from '@trpc/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { getBoss } from '@/server/queue/boss';
import { runEvalJob } from '@/server/queue/contracts';
import { callerFor, createTestUser, type TestUser } from '@/tests/helpers/factories';
import { uploadAndValidate } from '@/tests/kit/datasets';
import { runEval } from './run-eval';
import { readTrainingFileAsEvalSet } from './read-eval-set';
import { startEvalOnSuccess } from './start-eval-on-success';
import { FIXTURES } from '@/tests/kit/datasets';
import path from 'node:path';

let owner: TestUser;
let evalSetId: string;
let trainingId: string;
let model: string;
let judge: string;

const reasonOf = async (promise: Promise<unknown>) => {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TRPCError);
  const trpc = error as TRPCError & { cause?: { details?: { reason?: string; param?: string } } };
  return { code: trpc.code, reason: trpc.cause?.details?.reason, param: trpc.cause?.details?.param, message: trpc.message };
};

beforeAll(async () => {
  owner = await createTestUser();
  const db = getDb();
  await db.creditLedgerEntry.create({ data: { organizationId: owner.organization.id, kind: 'GRANT', amount: 10 } });
  const evals = await uploadAndValidate(owner, 'good/evals.jsonl', 'evals');
  expect(evals.outcome).toBe('VALID');
  evalSetId = evals.created.id;
  trainingId = (await uploadAndValidate(owner, 'good/chat.jsonl')).created.id;
  const servable = (name: string) =>
    db.baseModel.create({ data: { organizationId: owner.organization.id, name, source: 'FOLDER', status: 'READY', chatTemplate: true, artifacts: { gguf: { sha256: '0'.repeat(64), size: 1 } } } });
  const suffix = Date.now().toString(36);
  model = (await servable(`eval-subject-${suffix}`)).name;
  judge = (await servable(`eval-judge-${suffix}`)).name;
});

describe('evals.create', () => {
  it('validates an uploaded eval set as one: valid, with every example counted in its statistics', async () => {
    const row = await getDb().dataset.findUniqueOrThrow({ where: { id: evalSetId } });
    expect(row).toMatchObject({ purpose: 'evals', status: 'VALID', format: 'chat', examples: 12 });
    expect((row.stats as { examples: number }).examples).toBe(12);
  });

  it('refuses a training file, naming the parameter', async () => {
    const refused = await reasonOf(callerFor(owner).evals.create({ evalSetId: trainingId, models: [model], grader: { type: 'exact_match' } }));
    expect(refused).toMatchObject({ code: 'BAD_REQUEST', reason: 'wrong_file_purpose', param: 'evalSetId' });
  });

  it('refuses an eval set that is still being validated', async () => {
    const pending = await callerFor(owner).dataset.createFromText({ filename: 'later.jsonl', content: '{"messages":[{"role":"user","content":"Hi"}],"expected":"Hello."}\n', purpose: 'evals' });
    const refused = await reasonOf(callerFor(owner).evals.create({ evalSetId: pending.id, models: [model], grader: { type: 'exact_match' } }));
    expect(refused).toMatchObject({ code: 'BAD_REQUEST', reason: 'dataset_not_ready', param: 'evalSetId' });
  });

  it('refuses a pattern that does not compile and a schema that is not one', async () => {
    const caller = callerFor(owner);
    expect(await reasonOf(caller.evals.create({ evalSetId, models: [model], grader: { type: 'regex', pattern: '(open' } }))).toMatchObject({ reason: 'invalid_grader', param: 'grader.pattern' });
    expect(await reasonOf(caller.evals.create({ evalSetId, models: [model], grader: { type: 'json_schema', schema: { type: 'no-such-type' } } }))).toMatchObject({
      reason: 'invalid_grader',
      param: 'grader.schema',
    });
  });

  it('names which model of the list the project cannot call', async () => {
    const refused = await reasonOf(callerFor(owner).evals.create({ evalSetId, models: [model, 'nobody-serves-this'], grader: { type: 'exact_match' } }));
    expect(refused).toMatchObject({ code: 'NOT_FOUND', reason: 'model_not_found', param: 'models[1]' });
  });

  it('answers at once that the judge is not deployed, and says to deploy it', async () => {
    const refused = await reasonOf(callerFor(owner).evals.create({ evalSetId, models: [model], grader: { type: 'model', judgeModel: judge } }));
    expect(refused).toMatchObject({ code: 'PRECONDITION_FAILED', reason: 'judge_not_deployed', param: 'grader.judgeModel' });
    expect(refused.message).toBe(`The judge model \`${judge}\` is not deployed. Deploy it from the Models page, then start the evaluation again.`);
    expect(await getDb().evalRun.count({ where: { organizationId: owner.organization.id } })).toBe(0);
  });

  it('queues a run with its progress total and its eval.run job once the judge is deployed', async () => {
    const db = getDb();
    const base = await db.baseModel.findFirstOrThrow({ where: { name: judge } });
    const deployment = await db.deployment.create({ data: { baseModelId: base.id, status: 'REQUESTED' } });
    const run = await callerFor(owner).evals.create({ evalSetId, models: [model, judge], grader: { type: 'model', judgeModel: judge, rubric: 'Correct.' } });
    expect(run).toMatchObject({ status: 'queued', models: [model, judge], progress: { done: 0, total: 24 }, grader: { type: 'model', passScore: 4 } });
    const queued = (await (await getBoss()).fetch<unknown>(runEvalJob.name, { batchSize: 50 })).find((j) => (j.data as { payload?: { runId?: string } }).payload?.runId === run.id);
    expect(queued).toBeDefined();
    const listed = await callerFor(owner).evals.list();
    expect(listed.map((r) => r.id)).toContain(run.id);
    expect(await db.auditLogEntry.count({ where: { action: 'eval.create', targetId: run.id } })).toBe(1);

    // The judge is undeployed before the worker starts: the run fails at once with the same sentence.
    await db.deployment.update({ where: { id: deployment.id }, data: { status: 'STOPPED' } });
    expect(await runEval({ runId: run.id })).toBe('failed');
    const failed = await callerFor(owner).evals.get({ id: run.id });
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'judge_not_deployed', examples: [] });
    expect(failed.error).toContain('is not deployed');
    expect(await runEval({ runId: run.id })).toBe('skipped');
  });
});

describe('an evaluation when a job succeeds', () => {
  const succeededJob = async (evaluation: object | null) => {
    const db = getDb();
    const base = await db.baseModel.findFirstOrThrow({ where: { name: model } });
    const job = await db.trainingJob.create({
      data: {
        organizationId: owner.organization.id,
        projectId: owner.project.id,
        baseModelId: base.id,
        trainingDatasetId: trainingId,
        validationDatasetId: trainingId,
        status: 'succeeded',
        finishedAt: new Date(),
        seed: 1,
        hyperparameters: evaluation ? { preset: 'standard', evaluation } : { preset: 'standard' },
      },
    });
    const tuned = await db.fineTunedModel.create({
      data: { organizationId: owner.organization.id, projectId: owner.project.id, name: `ft:${model}:o:auto:${job.id}`, baseModelId: base.id, jobId: job.id, artifacts: { gguf: { sha256: '1'.repeat(64), size: 1 } } },
    });
    return { job, tuned };
  };

  it('reads a validation file as an eval set: each chat up to its last assistant reply, which is the expected answer', async () => {
    const examples = await readTrainingFileAsEvalSet({ input: path.join(FIXTURES, 'good', 'chat.jsonl') });
    // The two tool conversations end with a reply to a tool result, not to the user: skipped.
    expect(examples).toHaveLength(10);
    expect(examples[0]).toEqual({ messages: [{ role: 'system', content: 'Answer briefly.' }, { role: 'user', content: 'What is the capital of France?' }], expected: 'Paris.', rubric: null });
    expect(examples.find((e) => e.expected === '4.')!.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('queues the fine-tune against its base on the validation file, once', async () => {
    const { job, tuned } = await succeededJob({ grader: { type: 'exact_match' } });
    const runId = await startEvalOnSuccess({ db: getDb(), jobId: job.id });
    expect(runId).not.toBeNull();
    const run = await callerFor(owner).evals.get({ id: runId! });
    expect(run).toMatchObject({ status: 'queued', jobId: job.id, evalSetId: trainingId, models: [model, tuned.name], grader: { type: 'exact_match' } });
    expect(await startEvalOnSuccess({ db: getDb(), jobId: job.id })).toBeNull();
    expect((await callerFor(owner).evals.list({ jobId: job.id })).map((r) => r.id)).toEqual([runId]);
  });

  it('records a refusal that comes up only at the end as a failed run with its sentence', async () => {
    const { job } = await succeededJob({ grader: { type: 'model', judgeModel: `${judge}-gone` } });
    const runId = await startEvalOnSuccess({ db: getDb(), jobId: job.id });
    const run = await callerFor(owner).evals.get({ id: runId! });
    expect(run).toMatchObject({ status: 'failed', errorCode: 'model_not_found', jobId: job.id });
    expect(run.error).toContain(`The judge model \`${judge}-gone\` does not exist`);
  });

  it('does nothing for a job that asked for no evaluation', async () => {
    const { job } = await succeededJob(null);
    expect(await startEvalOnSuccess({ db: getDb(), jobId: job.id })).toBeNull();
  });
});
