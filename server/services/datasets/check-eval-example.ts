// The extra rules of an eval set (a dataset uploaded with purpose "evals"): each line is a chat
// whose last turn is the user's, to be answered by the models under evaluation, with an
// `expected` answer, a `rubric` for a judge model, or both. No assistant reply is needed.
import { finding, type Finding } from '@/lib/universal/dataset-report';
import { isJsonObject } from './formats';

export interface EvalTarget {
  expected: string | null;
  rubric: string | null;
}

export const EVAL_TARGET_KEYS = ['expected', 'rubric'] as const;
const NON_SPACE = /\S/;

/**
 * Turns the findings of a line checked as a training example into those of an eval example:
 * drops what only training needs (an assistant reply) and what eval sets add (their keys), and
 * adds the eval rules. `target` is set when the line has no error.
 */
export function checkEvalExample(value: unknown, line: number, format: string | null, findings: Finding[]): { findings: Finding[]; target?: EvalTarget } {
  if (format === null || !isJsonObject(value)) return { findings };
  if (format !== 'chat') {
    return { findings: [finding(line, 'eval_not_chat', `An eval set holds chats ("messages"); this line is in ${format} format.`, null)] };
  }
  const kept = findings.filter(
    (f) => f.code !== 'no_assistant_message' && !(f.code === 'unrecognized_key' && (EVAL_TARGET_KEYS as readonly string[]).includes(f.field ?? '')),
  );
  const target: EvalTarget = { expected: null, rubric: null };
  for (const key of EVAL_TARGET_KEYS) {
    if (!Object.hasOwn(value, key) || value[key] === null) continue;
    const text = value[key];
    if (typeof text !== 'string' || !NON_SPACE.test(text)) {
      kept.push(finding(line, 'eval_invalid_target', `"${key}" must be a non-empty string.`, key));
    } else {
      target[key] = text;
    }
  }
  if (!EVAL_TARGET_KEYS.some((key) => Object.hasOwn(value, key) && value[key] !== null)) {
    kept.push(finding(line, 'eval_missing_target', 'The example has neither an "expected" answer nor a "rubric" to grade the answer with.', null));
  }
  const messages = value.messages;
  if (Array.isArray(messages) && messages.length > 0) {
    const last = messages[messages.length - 1];
    if (isJsonObject(last) && typeof last.role === 'string' && last.role !== 'user') {
      kept.push(finding(line, 'eval_last_turn_not_user', `The conversation ends with a "${last.role}" message; an eval example ends with the user's turn, which the models answer.`, `messages[${messages.length - 1}].role`));
    }
  }
  return kept.some((f) => f.severity === 'error') ? { findings: kept } : { findings: kept, target };
}
