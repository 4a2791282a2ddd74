// A finished eval run with its answers, for page tests: the fixture eval set answered by a base
// model (mostly wrong) and a fine-tune (mostly right), graded by exact match, and its summary made
// by the same function the worker ends a run with.
import { getDb } from '@/server/db';
import { summarize } from '@/server/services/evals/run-eval';
import { readEvalSet } from '@/server/services/evals/read-eval-set';
import { datasetStore } from '@/server/services/datasets/platform/config';
import type { Prisma } from '@/server/generated/prisma/client';
import type { TestUser } from '@/tests/helpers/factories';
import { uploadAndValidate } from '@/tests/kit/datasets';

export async function seedEvalRun(owner: TestUser, { base, tuned, jobId = null }: { base: string; tuned: string; jobId?: string | null }) {
  const db = getDb();
  const scope = { organizationId: owner.organization.id, projectId: owner.project.id };
  const { row: evalSet } = await uploadAndValidate(owner, 'good/evals.jsonl', 'evals');
  const examples = await readEvalSet({ input: await datasetStore().get(evalSet.sha256!) });
  const run = await db.evalRun.create({
    data: { ...scope, evalSetId: evalSet.id, jobId, name: `${evalSet.name}: ${base} vs ${tuned}`, models: [base, tuned], grader: { type: 'exact_match', ignoreCase: false }, status: 'succeeded', finishedAt: new Date() },
  });
  const rows: Prisma.EvalResultCreateManyInput[] = [];
  examples.forEach((example, index) => {
    const expected = example.expected ?? '';
    const prompt = example.messages.at(-1)?.content ?? '';
    const tunedRight = index % 6 !== 5;
    const baseRight = index === 0 || index === 11;
    const answer = (right: boolean) => (right ? expected || 'Paris is the capital of France.' : `I am not sure, but maybe the answer to "${prompt}" is something else entirely.`);
    for (const [model, right] of [[base, baseRight], [tuned, tunedRight]] as const) {
      rows.push({
        ...scope,
        runId: run.id,
        example: index,
        model,
        prompt,
        expected: example.expected,
        output: answer(right),
        score: right ? 1 : 0,
        passed: right,
        reason: right ? 'The answer equals the expected answer.' : `Expected exactly "${expected}".`,
        promptTokens: 20,
        completionTokens: right ? 4 : 18,
      });
    }
  });
  await db.evalResult.createMany({ data: rows });
  const summary = await summarize(db, run);
  await db.evalRun.update({ where: { id: run.id }, data: { summary: summary as unknown as Prisma.InputJsonObject, progress: { done: rows.length, total: rows.length } } });
  return { run, evalSet, summary };
}
