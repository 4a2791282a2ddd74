// A real evaluation through the serving path (web, worker and gpu-runner as real processes): an
// eval set of the learning-check questions is uploaded through /v1/files with purpose "evals", the
// fixture is fine-tuned on those chats through the openai client with Lathe's `evaluation` option,
// and the run its success starts scores the base and the fine-tune in the worker, each answer asked through
// serveGeneration (the code behind /v1/chat/completions) and charged as inference. The fine-tune
// wins against the base; a model-graded run with the base as its judge reads whatever the tiny
// judge answers into a grade with a reason.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { startPlatform, type Platform } from '@/scripts/lib/supervisor';
import { cachedTinyModel } from '@/gpu-runner/trainer/python';
import { learningCheckChats, type Chat } from '@/tests/helpers/learning-check';
import { callerFor, type TestUser } from '@/tests/helpers/factories';
import { getDb } from '@/server/db';
import { stopBoss } from '@/server/queue/boss';
import { eventually, importModel, userWithKey } from '@/tests/helpers/serving';
import { useOwnDatabase } from '@/tests/helpers/own-database';

const modelName = `tiny-evals-${Date.now()}`;
const EVAL_EXAMPLES = 12;
let platform: Platform;
let client: OpenAI;
let user: TestUser;
let chats: Chat[];
let tunedName: string;
let evalSetId: string;
let jobId: string;
const logs: string[] = [];

useOwnDatabase();

beforeAll(async () => {
  const modelDir = await cachedTinyModel();
  chats = await learningCheckChats();
  await importModel(modelDir, modelName);
  const owner = await userWithKey(1000);
  user = owner.user;
  platform = await startPlatform({
    port: 0,
    env: { LOG_LEVEL: 'warn', LATHE_EXECUTOR: 'process', RUNNER_CPUS: '1', RUNNER_SERVING_THREADS: '1' },
    log: (l) => logs.push(l),
  });
  client = new OpenAI({ apiKey: owner.key, baseURL: `${platform.url}/v1`, maxRetries: 0 });
}, 600_000);

afterAll(async () => {
  await platform?.stop();
  // evals.create queued its job through this process's pg-boss client, before the database goes.
  await stopBoss();
});

afterEach(({ task }) => {
  if (task.result?.state === 'fail') console.log(logs.slice(-60).join('\n'));
});

const questionOf = (chat: Chat) => chat.filter((m) => m.role !== 'assistant');
const answerOf = (chat: Chat) => chat.at(-1)!.content;

async function uploadEvalSet(lines: object[], filename: string): Promise<string> {
  const jsonl = lines.map((line) => JSON.stringify(line)).join('\n') + '\n';
  const file = await client.files.create({ file: await toFile(Buffer.from(jsonl), filename), purpose: 'evals' as 'fine-tune' });
  expect(file.purpose).toBe('evals');
  const id = file.id.replace(/^file-/, '');
  await eventually(async () => ['VALID', 'INVALID', 'FAILED'].includes((await callerFor(user).dataset.get({ id })).status), 60_000, 'eval set validated');
  const dataset = await callerFor(user).dataset.get({ id });
  expect(dataset.status, JSON.stringify(dataset.validation)).toBe('VALID');
  return file.id;
}

async function finished(runId: string) {
  return eventually(async () => {
    const run = await callerFor(user).evals.get({ id: runId });
    return run.status === 'succeeded' || run.status === 'failed' ? run : null;
  }, 300_000, 'eval run finished');
}

describe('an evaluation through the serving path', () => {
  it('fine-tunes the fixture with an evaluation on success on an eval set uploaded through /v1/files', async () => {
    evalSetId = await uploadEvalSet(chats.slice(0, EVAL_EXAMPLES).map((chat) => ({ messages: questionOf(chat), expected: answerOf(chat) })), 'codes-eval.jsonl');
    const jsonl = chats.map((messages) => JSON.stringify({ messages })).join('\n') + '\n';
    const file = await client.files.create({ file: await toFile(Buffer.from(jsonl), 'codes.jsonl'), purpose: 'fine-tune' });
    const request = {
      model: modelName,
      training_file: file.id,
      suffix: 'evals',
      seed: 1,
      hyperparameters: { n_epochs: 80, batch_size: 8, learning_rate_multiplier: 20 },
      // Lathe's own option, beside OpenAI's.
      evaluation: { evalSetId, grader: { type: 'exact_match' } },
    };
    const created = await client.fineTuning.jobs.create(request as OpenAI.FineTuning.JobCreateParams);
    const deadline = Date.now() + 300_000;
    let job = created;
    while (!['succeeded', 'failed', 'cancelled'].includes(job.status)) {
      if (Date.now() > deadline) throw new Error(`job still ${job.status}`);
      await new Promise((r) => setTimeout(r, 1000));
      job = await client.fineTuning.jobs.retrieve(created.id);
    }
    expect(job.error, JSON.stringify(job.error)).toBeNull();
    tunedName = job.fine_tuned_model!;
    jobId = created.id.replace(/^ftjob-/, '');
  }, 400_000);

  it('scores the base and the fine-tune on the same set once the job succeeds: the fine-tune wins, and every answer is charged as inference', async () => {
    const db = getDb();
    const started = await eventually(async () => (await callerFor(user).evals.list({ jobId }))[0], 60_000, 'evaluation started by the job');
    expect(started.models).toEqual([modelName, tunedName]);
    const done = await finished(started.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(done.progress).toEqual({ done: 2 * EVAL_EXAMPLES, total: 2 * EVAL_EXAMPLES });
    const [base, tuned] = done.summary!.models;
    expect(base).toMatchObject({ model: modelName, examples: EVAL_EXAMPLES, score: 0, winRate: null });
    expect(tuned!.model).toBe(tunedName);
    expect(tuned!.score, JSON.stringify(done.examples.map((e) => e.answers[tunedName]?.output))).toBeGreaterThanOrEqual(0.8);
    expect(tuned!.winRate).toBeGreaterThanOrEqual(0.8);
    expect(tuned!.losses).toBe(0);

    // Side by side: every example has both answers, graded, with the prompt and expected answer.
    expect(done.examples).toHaveLength(EVAL_EXAMPLES);
    for (const [i, row] of done.examples.entries()) {
      expect(row.prompt).toBe(questionOf(chats[i]!).at(-1)!.content);
      expect(row.expected).toBe(answerOf(chats[i]!));
      expect(Object.keys(row.answers).sort()).toEqual([modelName, tunedName].sort());
      expect(row.answers[modelName]!.passed).toBe(false);
    }

    // The answers went through serveGeneration: usage rows of the project for both models, and credits spent.
    const usage = await db.usageRecord.findMany({ where: { organizationId: user.organization.id, model: { in: [modelName, tunedName] } } });
    const sum = (model: string, field: 'requests' | 'completionTokens') => usage.filter((u) => u.model === model).reduce((total, u) => total + Number(u[field]), 0);
    expect(sum(modelName, 'requests')).toBe(EVAL_EXAMPLES);
    expect(sum(tunedName, 'requests')).toBe(EVAL_EXAMPLES);
    expect(sum(tunedName, 'completionTokens')).toBe(tuned!.completionTokens);
    const charges = await db.creditLedgerEntry.count({ where: { organizationId: user.organization.id, idempotencyKey: { startsWith: 'usage:' } } });
    expect(charges).toBe(2 * EVAL_EXAMPLES);
  }, 360_000);

  it('grades with a judge model the platform serves, turning whatever it answers into a score with a reason', async () => {
    const rubricSet = await uploadEvalSet(
      chats.slice(0, 3).map((chat) => ({ messages: questionOf(chat), expected: answerOf(chat), rubric: 'Gives the code that belongs to the question.' })),
      'codes-rubric.jsonl',
    );
    const run = await callerFor(user).evals.create({ evalSetId: rubricSet, models: [tunedName], grader: { type: 'model', judgeModel: modelName }, maxTokens: 24 });
    const done = await finished(run.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(done.examples).toHaveLength(3);
    for (const row of done.examples) {
      const answer = row.answers[tunedName]!;
      expect(answer.reason!.length).toBeGreaterThan(0);
      expect(answer.score).toBeGreaterThanOrEqual(0);
      expect(answer.score).toBeLessThanOrEqual(1);
      if (answer.judgeScore !== null) expect(answer.score).toBe((answer.judgeScore - 1) / 4);
      else expect(answer.reason).toMatch(/^The judge's answer has no score from 1 to 5/);
    }
    // The judge's own answers are charged too, under its name.
    const judgeUsage = await getDb().usageRecord.findMany({ where: { organizationId: user.organization.id, model: modelName } });
    expect(judgeUsage.reduce((sum, u) => sum + u.requests, 0)).toBe(EVAL_EXAMPLES + 3);
  }, 360_000);
});
