// The rule graders of an eval run, and the judge's prompt and the reading of its answer for the
// model-graded one. Each grade is a score from 0 to 1, whether it passed, and a reason a person
// can read beside the answer.
import { Ajv, type ValidateFunction } from 'ajv';
import type { JudgeVerdict, TGrader } from '@/lib/universal/evals';

export interface Grade {
  score: number;
  passed: boolean;
  reason: string;
  /** The judge's 1-5 score (model-graded only). */
  judgeScore?: number;
}

export interface EvalExample {
  messages: { role: string; content: string | null }[];
  expected: string | null;
  rubric: string | null;
}

const pass = (reason: string): Grade => ({ score: 1, passed: true, reason });
const fail = (reason: string): Grade => ({ score: 0, passed: false, reason });
const clip = (text: string, max = 120) => (text.length <= max ? text : `${text.slice(0, max)}…`);

export function gradeExactMatch(output: string, expected: string, { ignoreCase = false } = {}): Grade {
  const norm = (text: string) => (ignoreCase ? text.trim().toLowerCase() : text.trim());
  return norm(output) === norm(expected) ? pass('The answer equals the expected answer.') : fail(`Expected exactly "${clip(expected.trim())}".`);
}

export function gradeContains(output: string, expected: string, { ignoreCase = true } = {}): Grade {
  const norm = (text: string) => (ignoreCase ? text.toLowerCase() : text);
  return norm(output).includes(norm(expected.trim())) ? pass(`The answer contains "${clip(expected.trim())}".`) : fail(`The answer does not contain "${clip(expected.trim())}".`);
}

/** A pattern that does not compile is a failed grade that says why, not a crash of the run. */
export function gradeRegex(output: string, pattern: string, flags = ''): Grade {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, flags);
  } catch (error) {
    return fail(`The pattern /${clip(pattern)}/ is not a valid regular expression: ${(error as Error).message}`);
  }
  return regex.test(output) ? pass(`The answer matches /${clip(pattern)}/.`) : fail(`The answer does not match /${clip(pattern)}/.`);
}

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new WeakMap<object, ValidateFunction>();

/** Compiles a JSON schema once per grader; throws with Ajv's message when the schema is not one. */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** The answer, or the JSON inside a Markdown code fence of it, parsed and checked against the schema. */
export function gradeJsonSchema(output: string, schema: Record<string, unknown>): Grade {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(output);
  const text = (fenced ? fenced[1]! : output).trim();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('The answer is not valid JSON.');
  }
  const validate = compileSchema(schema);
  if (validate(value)) return pass('The answer is JSON that the schema accepts.');
  const problems = (validate.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
  return fail(`The JSON does not fit the schema: ${problems.join('; ')}.`);
}

/** Grades with a rule grader; the model-graded one goes through `judgePrompt` and `parseJudgeVerdict`. */
export function gradeByRule(grader: Exclude<TGrader, { type: 'model' }>, output: string, example: EvalExample): Grade {
  if (grader.type === 'json_schema') return gradeJsonSchema(output, grader.schema);
  if (grader.type === 'regex') {
    const pattern = grader.pattern ?? example.expected;
    if (!pattern) return fail('The example has no "expected" pattern and the grader none of its own.');
    return gradeRegex(output, pattern, grader.flags);
  }
  if (example.expected === null) return fail('The example has no "expected" answer to compare with.');
  return grader.type === 'exact_match'
    ? gradeExactMatch(output, example.expected, { ignoreCase: grader.ignoreCase })
    : gradeContains(output, example.expected, { ignoreCase: grader.ignoreCase });
}

const JUDGE_INSTRUCTIONS =
  'You are grading an AI assistant\'s answer. Read the conversation, the rubric and, when given, the reference answer. ' +
  'Score the answer from 1 (fails the rubric) to 5 (fully meets it). Reply with only a JSON object: {"score": <1-5>, "reason": "<one sentence>"}.';

/** The chat the judge model is asked: the rubric, the conversation, the reference and the answer. */
export function judgePrompt(example: EvalExample, output: string, rubric: string): { role: 'system' | 'user'; content: string }[] {
  const conversation = example.messages.map((m) => `${m.role}: ${m.content ?? ''}`).join('\n');
  const parts = [`Rubric:\n${rubric}`, `Conversation:\n${conversation}`];
  if (example.expected !== null) parts.push(`Reference answer:\n${example.expected}`);
  parts.push(`Answer to grade:\n${output}`);
  return [
    { role: 'system', content: JUDGE_INSTRUCTIONS },
    { role: 'user', content: parts.join('\n\n') },
  ];
}

const SCORE_PATTERNS = [/"?score"?\s*[:=]\s*"?([1-5])(?:\.0+)?\b/i, /\b([1-5])\s*(?:\/|out of)\s*5\b/i, /\brating\s*[:=]?\s*([1-5])\b/i];

/**
 * Reads a judge's answer: a JSON object with `score` and `reason` (alone, in a code fence, or
 * among other text), else a "score: N" or "N/5" in prose, whose text is then the reason. Null
 * when no score from 1 to 5 can be found.
 */
export function parseJudgeVerdict(text: string): JudgeVerdict | null {
  for (const candidate of jsonObjects(text)) {
    try {
      const value = JSON.parse(candidate) as { score?: unknown; reason?: unknown; rating?: unknown };
      const raw = value.score ?? value.rating;
      const score = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
      if (Number.isInteger(score) && score >= 1 && score <= 5) {
        return { score, reason: typeof value.reason === 'string' && value.reason.trim() ? value.reason.trim() : text.trim() };
      }
    } catch {
      // Not JSON after all: the patterns below may still find the score.
    }
  }
  for (const pattern of SCORE_PATTERNS) {
    const match = pattern.exec(text);
    if (match) return { score: Number(match[1]), reason: text.trim() };
  }
  return null;
}

/** Each balanced {...} of the text, outermost first. */
function* jsonObjects(text: string): Generator<string> {
  for (let start = text.indexOf('{'); start >= 0; start = text.indexOf('{', start + 1)) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        yield text.slice(start, i + 1);
        break;
      }
    }
  }
}

/** The grade a judge's answer gives: its 1-5 score mapped to 0-1, or a failed grade that quotes an unreadable answer. */
export function gradeFromJudge(answer: string, passScore: number): Grade {
  const verdict = parseJudgeVerdict(answer);
  if (!verdict) return fail(`The judge's answer has no score from 1 to 5: "${clip(answer.trim(), 200)}"`);
  return { score: (verdict.score - 1) / 4, passed: verdict.score >= passScore, reason: verdict.reason, judgeScore: verdict.score };
}
