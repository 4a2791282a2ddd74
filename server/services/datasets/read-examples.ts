import type { Conversation, DatasetFormat } from './formats';
import { readLines, type DatasetInput } from './read-lines';
import { DEFAULT_MAX_LINE_BYTES, bomMessage, checkLine, isBlank, startsWithBom } from './validate-dataset';
import { finding, type DatasetPurpose, type Finding } from '@/lib/universal/dataset-report';

export type ExampleOrError =
  | { line: number; conversation: Conversation; rejected?: Conversation; error?: undefined }
  | { line: number; conversation?: undefined; error: Finding };

export interface ReadExamplesOptions {
  input: DatasetInput;
  maxLineBytes?: number;
  onBytes?: (bytesRead: number) => void;
  /** "evals": the lines are checked as an eval set's (check-eval-example.ts). */
  purpose?: DatasetPurpose;
}

/**
 * The examples of a dataset as chat conversations, in file order, with the same rules as
 * validateDataset: a line with an error yields its first error instead of a conversation.
 */
export async function* readExamples({ input, maxLineBytes = DEFAULT_MAX_LINE_BYTES, onBytes, purpose = 'fine-tune' }: ReadExamplesOptions): AsyncGenerator<ExampleOrError> {
  let format: DatasetFormat | null = null;
  for await (const line of readLines({ input, maxLineBytes, onBytes })) {
    if (line.oversized) {
      yield { line: line.number, error: finding(line.number, 'line_too_long', `The line is ${line.byteLength} bytes, over the ${maxLineBytes}-byte limit.`) };
      continue;
    }
    const bytes = line.bytes;
    if (startsWithBom(bytes)) {
      yield { line: line.number, error: finding(line.number, 'bom', bomMessage(line.number)) };
      continue;
    }
    if (isBlank(bytes)) {
      yield { line: line.number, error: finding(line.number, 'blank_line', 'The line is empty.') };
      continue;
    }
    const checked = checkLine(bytes, line.number, format, true, purpose);
    if (format === null && checked.format !== null) format = checked.format;
    const error = checked.findings.find((f) => f.severity === 'error');
    if (error || !checked.conversation) {
      yield { line: line.number, error: error ?? finding(line.number, 'unknown_format', 'The line matches no supported format.') };
    } else {
      yield { line: line.number, conversation: checked.conversation, ...(checked.rejected ? { rejected: checked.rejected } : {}) };
    }
  }
}
