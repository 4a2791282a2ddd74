// Eval runs as the dashboard, tRPC and the SDK show them: the list, and one run with its per-model
// summary and its answers side by side (one row per example, one cell per model).
import type { TenantDb } from '@/server/db/tenant';
import type { EvalResult, EvalRun } from '@/server/generated/prisma/client';
import { notFound } from '@/server/services/errors';
import type { EvalProgress, EvalRunStatus, EvalSummary, TGrader } from '@/lib/universal/evals';

export interface EvalRunSummary {
  id: string;
  name: string;
  evalSetId: string | null;
  jobId: string | null;
  models: string[];
  grader: TGrader;
  status: EvalRunStatus;
  progress: EvalProgress;
  summary: EvalSummary | null;
  error: string | null;
  errorCode: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface EvalAnswer {
  output: string;
  score: number;
  passed: boolean;
  judgeScore: number | null;
  reason: string | null;
}

export interface EvalExampleRow {
  example: number;
  prompt: string;
  expected: string | null;
  /** By model name; a model not graded yet on this example is absent. */
  answers: Record<string, EvalAnswer>;
}

export interface EvalRunDetail extends EvalRunSummary {
  examples: EvalExampleRow[];
}

export function toEvalRunSummary(row: EvalRun): EvalRunSummary {
  return {
    id: row.id,
    name: row.name,
    evalSetId: row.evalSetId,
    jobId: row.jobId,
    models: row.models,
    grader: row.grader as unknown as TGrader,
    status: row.status,
    progress: (row.progress as EvalProgress | null) ?? { done: 0, total: 0 },
    summary: (row.summary as EvalSummary | null) ?? null,
    error: row.error,
    errorCode: row.errorCode,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
  };
}

export async function listEvalRuns({ db, jobId, limit = 200 }: { db: TenantDb; jobId?: string; limit?: number }): Promise<EvalRunSummary[]> {
  const rows = await db.evalRun.findMany({ where: jobId ? { jobId } : {}, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit });
  return rows.map(toEvalRunSummary);
}

/** One run with its answers grouped by example; NOT_FOUND when the caller's project has no such run. */
export async function getEvalRun({ db, id }: { db: TenantDb; id: string }): Promise<EvalRunDetail> {
  const row = await db.evalRun.findUnique({ where: { id } });
  if (!row) throw notFound('Evaluation');
  const results = await db.evalResult.findMany({ where: { runId: id }, orderBy: [{ example: 'asc' }] });
  return { ...toEvalRunSummary(row), examples: groupByExample(results) };
}

function groupByExample(results: EvalResult[]): EvalExampleRow[] {
  const rows = new Map<number, EvalExampleRow>();
  for (const r of results) {
    let row = rows.get(r.example);
    if (!row) {
      row = { example: r.example, prompt: r.prompt, expected: r.expected, answers: {} };
      rows.set(r.example, row);
    }
    row.answers[r.model] = { output: r.output, score: r.score, passed: r.passed, judgeScore: r.judgeScore, reason: r.reason };
  }
  return [...rows.values()];
}
