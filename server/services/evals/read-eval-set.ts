// The examples of a validated eval set, in file order: each valid line's conversation and what its
// answers are graded against. Lines with errors are skipped (a run only starts on a VALID set).
import { readLines, type DatasetInput } from '@/server/services/datasets/read-lines';
import { checkLine, DEFAULT_MAX_LINE_BYTES, isBlank, startsWithBom } from '@/server/services/datasets/validate-dataset';
import type { DatasetFormat } from '@/server/services/datasets/formats';
import { readExamples } from '@/server/services/datasets/read-examples';
import type { EvalExample } from './graders';

export async function readEvalSet({ input }: { input: DatasetInput }): Promise<EvalExample[]> {
  const examples: EvalExample[] = [];
  let format: DatasetFormat | null = null;
  for await (const line of readLines({ input, maxLineBytes: DEFAULT_MAX_LINE_BYTES })) {
    if (line.oversized || startsWithBom(line.bytes) || isBlank(line.bytes)) continue;
    const checked = checkLine(line.bytes, line.number, format, true, 'evals');
    if (format === null && checked.format !== null) format = checked.format;
    if (!checked.conversation || !checked.evalTarget) continue;
    examples.push({
      messages: checked.conversation.messages.map((m) => ({ role: m.role, content: m.content })),
      expected: checked.evalTarget.expected,
      rubric: checked.evalTarget.rubric,
    });
  }
  return examples;
}

/**
 * A training file (a job's validation file) as an eval set: each valid example up to its last
 * assistant reply, which becomes the expected answer. Examples without a user turn before that
 * reply are skipped.
 */
export async function readTrainingFileAsEvalSet({ input }: { input: DatasetInput }): Promise<EvalExample[]> {
  const examples: EvalExample[] = [];
  for await (const example of readExamples({ input })) {
    if (!example.conversation) continue;
    const messages = example.conversation.messages;
    const last = messages.findLastIndex((m) => m.role === 'assistant' && typeof m.content === 'string');
    if (last < 1 || messages[last - 1]!.role !== 'user') continue;
    examples.push({ messages: messages.slice(0, last).map((m) => ({ role: m.role, content: m.content })), expected: messages[last]!.content, rubric: null });
  }
  return examples;
}
