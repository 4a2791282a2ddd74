// Evaluations as every surface sees them: the graders a run can use, the run's request, and the
// summary it ends with. Browser-safe: the Evaluations page builds its form from these schemas, the
// service and the worker parse with them.
import { z } from 'zod';

export const GRADER_TYPES = ['exact_match', 'contains', 'regex', 'json_schema', 'model'] as const;
export type GraderType = (typeof GRADER_TYPES)[number];

/** Regular expressions a user writes run on the worker: their length is bounded. */
export const MAX_PATTERN_LENGTH = 500;
export const MAX_RUBRIC_LENGTH = 4000;
export const MAX_EVAL_MODELS = 6;

export const ZGrader = z.discriminatedUnion('type', [
  /** The answer, trimmed, equals the expected answer, trimmed. */
  z.object({ type: z.literal('exact_match'), ignoreCase: z.boolean().default(false) }),
  /** The answer contains the expected answer. */
  z.object({ type: z.literal('contains'), ignoreCase: z.boolean().default(true) }),
  /** The answer matches the pattern; without one, each example's `expected` is its pattern. */
  z.object({ type: z.literal('regex'), pattern: z.string().min(1).max(MAX_PATTERN_LENGTH).optional(), flags: z.string().regex(/^[imsu]*$/).max(4).default('') }),
  /** The answer is JSON that the schema accepts. */
  z.object({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }),
  /** A judge model scores the answer 1-5 against the rubric (each example's, else this one). */
  z.object({
    type: z.literal('model'),
    judgeModel: z.string().trim().min(1).max(200),
    rubric: z.string().trim().max(MAX_RUBRIC_LENGTH).optional(),
    /** A judge score at or above this passes. */
    passScore: z.number().int().min(1).max(5).default(4),
  }),
]);
export type TGrader = z.infer<typeof ZGrader>;
export type TGraderInput = z.input<typeof ZGrader>;

export const ZCreateEvalRequest = z.object({
  /** The eval set: a dataset uploaded with purpose "evals". */
  evalSetId: z.string().min(1).max(64),
  /** The models to compare; the first is the baseline the others' win rates are against. */
  models: z.array(z.string().trim().min(1).max(200)).min(1).max(MAX_EVAL_MODELS),
  grader: ZGrader,
  name: z.string().trim().max(200).optional(),
  maxTokens: z.number().int().min(1).max(4096).default(256),
});
export type TCreateEvalRequest = z.infer<typeof ZCreateEvalRequest>;

/** A job option: evaluate the fine-tune against its base once the job succeeds. */
export const ZEvalOnSuccess = z.object({
  /** An eval set of the project; without one, the job's validation file (as an eval set of its chats). */
  evalSetId: z.string().min(1).max(64).optional(),
  grader: ZGrader.default({ type: 'exact_match', ignoreCase: false }),
});
export type TEvalOnSuccess = z.infer<typeof ZEvalOnSuccess>;

export type EvalRunStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface EvalModelSummary {
  model: string;
  /** Mean score, 0 to 1. */
  score: number;
  /** Share of examples that passed, 0 to 1. */
  passRate: number;
  examples: number;
  /** Against the first model: examples this one scored higher, lower, and the same. */
  wins: number;
  losses: number;
  ties: number;
  /** (wins + ties / 2) / examples against the first model; null for the first model itself. */
  winRate: number | null;
  promptTokens: number;
  completionTokens: number;
}

export interface EvalSummary {
  models: EvalModelSummary[];
}

export interface EvalProgress {
  done: number;
  total: number;
}

/** A model's answer as a judge sees it, then what the judge said, parsed. */
export interface JudgeVerdict {
  /** 1 to 5. */
  score: number;
  reason: string;
}

/** Win rate of `scores` against `baseline`, per example; ties count half. */
export function winRate(scores: number[], baseline: number[]): { wins: number; losses: number; ties: number; winRate: number } {
  let wins = 0;
  let losses = 0;
  let ties = 0;
  for (let i = 0; i < scores.length; i++) {
    const a = scores[i]!;
    const b = baseline[i] ?? 0;
    if (a > b) wins++;
    else if (a < b) losses++;
    else ties++;
  }
  const n = wins + losses + ties;
  return { wins, losses, ties, winRate: n === 0 ? 0 : (wins + ties / 2) / n };
}
