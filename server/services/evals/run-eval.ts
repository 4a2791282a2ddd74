// The worker's `eval.run`: queued → running → succeeded (with its summary) or failed (with a
// message that says what to do). Every model is asked every example of the eval set through the
// serving path (ask-model.ts), each answer is graded and stored at once, and progress is written
// as it goes; a retried run skips the answers it already has.
import { getDb, type Db } from '@/server/db';
import { tenantDb, type TenantContext } from '@/server/db/tenant';
import type { EvalRun, Prisma } from '@/server/generated/prisma/client';
import { logger } from '@/server/logger';
import type { ArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { datasetStore } from '@/server/services/datasets/platform/config';
import { postgresSafe } from '@/server/services/datasets/platform/run-dataset-validation';
import { LatheError } from '@/server/services/errors';
import { InferenceError } from '@/lib/universal/openai/errors';
import { winRate, ZGrader, type EvalModelSummary, type EvalSummary, type TGrader } from '@/lib/universal/evals';
import { askModel } from './ask-model';
import { gradeByRule, gradeFromJudge, judgePrompt, type EvalExample, type Grade } from './graders';
import { assertJudgeDeployed } from './judge';
import { readEvalSet, readTrainingFileAsEvalSet } from './read-eval-set';

export interface RunEvalOptions {
  runId: string;
  db?: Db;
  store?: ArtifactStore;
  signal?: AbortSignal;
  /** No retry follows: an unexpected failure fails the run instead of being thrown. */
  finalAttempt?: boolean;
  /** Answers asked at once, per model (the inference server's own concurrency). */
  concurrency?: number;
}

export type RunEvalOutcome = 'succeeded' | 'failed' | 'skipped';

const DEFAULT_RUBRIC = 'The answer is correct, helpful and answers what the user asked.';
const JUDGE_MAX_TOKENS = 200;

export async function runEval({ runId, db = getDb(), store = datasetStore(), signal, finalAttempt = true, concurrency = 2 }: RunEvalOptions): Promise<RunEvalOutcome> {
  const claimed = await db.evalRun.updateMany({ where: { id: runId, status: { in: ['queued', 'running'] } }, data: { status: 'running', startedAt: new Date(), error: null, errorCode: null } });
  if (claimed.count === 0) return 'skipped';
  const run = await db.evalRun.findUniqueOrThrow({ where: { id: runId } });
  const scope = { organizationId: run.organizationId, projectId: run.projectId };
  const tenant: TenantContext = { db: tenantDb(scope, db), scope, actor: { userId: run.createdById } };
  try {
    const grader = ZGrader.parse(run.grader);
    if (grader.type === 'model') await assertJudgeDeployed({ tenantDb: tenant.db, judgeModel: grader.judgeModel, db });
    const evalSet = run.evalSetId ? await db.dataset.findUnique({ where: { id: run.evalSetId } }) : null;
    if (!evalSet?.sha256) throw new LatheError('PRECONDITION_FAILED', 'The eval set of this run was deleted. Upload it again and start a new evaluation.', { reason: 'file_not_found' });
    const input = await store.get(evalSet.sha256);
    const examples = evalSet.purpose === 'evals' ? await readEvalSet({ input }) : await readTrainingFileAsEvalSet({ input });
    const total = examples.length * run.models.length;
    const done = new Set((await db.evalResult.findMany({ where: { runId }, select: { model: true, example: true } })).map((r) => `${r.model}\n${r.example}`));
    const progress = { done: done.size, total };
    await db.evalRun.update({ where: { id: runId }, data: { progress } });

    for (const model of run.models) {
      const todo = examples.map((example, index) => ({ example, index })).filter(({ index }) => !done.has(`${model}\n${index}`));
      await inPool(todo, concurrency, async ({ example, index }) => {
        if (signal?.aborted) throw signal.reason ?? new Error('aborted');
        const caller = `eval:${run.id}`;
        const answer = await askModel({ tenant, caller, model, messages: example.messages, maxTokens: run.maxTokens, signal });
        const grade = await gradeAnswer({ tenant, caller, grader, example, output: answer.text, signal });
        await tenant.db.evalResult.create({
          data: postgresSafe({
            organizationId: scope.organizationId,
            projectId: scope.projectId,
            runId,
            example: index,
            model,
            prompt: lastUserTurn(example),
            expected: example.expected,
            output: answer.text,
            score: grade.score,
            passed: grade.passed,
            judgeScore: grade.judgeScore ?? null,
            reason: grade.reason,
            promptTokens: answer.promptTokens,
            completionTokens: answer.completionTokens,
          }),
        });
        progress.done++;
        await db.evalRun.update({ where: { id: runId }, data: { progress } });
      });
    }
    const summary = await summarize(db, run);
    await db.evalRun.updateMany({
      where: { id: runId, status: 'running' },
      data: { status: 'succeeded', finishedAt: new Date(), summary: summary as unknown as Prisma.InputJsonObject, progress },
    });
    return 'succeeded';
  } catch (error) {
    const known = error instanceof LatheError || error instanceof InferenceError;
    // The worker is stopping or pg-boss expired the job: the next attempt resumes from the answers stored.
    if ((signal?.aborted || !known) && !finalAttempt) throw error;
    logger.warn({ err: error, runId }, 'eval run failed');
    const code = error instanceof LatheError ? (error.details.reason ?? null) : error instanceof InferenceError ? error.code : null;
    const message = error instanceof Error ? error.message : String(error);
    await db.evalRun.updateMany({
      where: { id: runId, status: 'running' },
      data: { status: 'failed', finishedAt: new Date(), error: postgresSafe(known ? message : `The evaluation stopped: ${message}. Start it again.`), errorCode: code },
    });
    return 'failed';
  }
}

async function gradeAnswer({ tenant, caller, grader, example, output, signal }: { tenant: TenantContext; caller: string; grader: TGrader; example: EvalExample; output: string; signal?: AbortSignal }): Promise<Grade> {
  if (grader.type !== 'model') return gradeByRule(grader, output, example);
  const rubric = example.rubric ?? grader.rubric ?? DEFAULT_RUBRIC;
  const verdict = await askModel({ tenant, caller, model: grader.judgeModel, messages: judgePrompt(example, output, rubric), maxTokens: JUDGE_MAX_TOKENS, signal });
  return gradeFromJudge(verdict.text, grader.passScore);
}

function lastUserTurn(example: EvalExample): string {
  return example.messages.at(-1)?.content ?? '';
}

/** Runs `work` on every item, at most `limit` at a time; the first failure stops the rest and is thrown. */
async function inPool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** Per-model means and pass rates, and each model's win rate against the first, by example. */
export async function summarize(db: Db, run: Pick<EvalRun, 'id' | 'models'>): Promise<EvalSummary> {
  const results = await db.evalResult.findMany({ where: { runId: run.id }, select: { model: true, example: true, score: true, passed: true, promptTokens: true, completionTokens: true } });
  const byModel = new Map<string, Map<number, (typeof results)[number]>>();
  for (const r of results) {
    if (!byModel.has(r.model)) byModel.set(r.model, new Map());
    byModel.get(r.model)!.set(r.example, r);
  }
  const baseline = byModel.get(run.models[0]!) ?? new Map();
  const models = run.models.map((model, index): EvalModelSummary => {
    const rows = [...(byModel.get(model) ?? new Map()).values()].sort((a, b) => a.example - b.example);
    const n = rows.length;
    const against = index === 0 ? null : winRate(rows.map((r) => r.score), rows.map((r) => baseline.get(r.example)?.score ?? 0));
    return {
      model,
      score: n === 0 ? 0 : rows.reduce((sum, r) => sum + r.score, 0) / n,
      passRate: n === 0 ? 0 : rows.filter((r) => r.passed).length / n,
      examples: n,
      wins: against?.wins ?? 0,
      losses: against?.losses ?? 0,
      ties: against?.ties ?? 0,
      winRate: against?.winRate ?? null,
      promptTokens: rows.reduce((sum, r) => sum + r.promptTokens, 0),
      completionTokens: rows.reduce((sum, r) => sum + r.completionTokens, 0),
    };
  });
  return { models };
}
