import { stat } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { checkExample } from './check-example';
import { checkEvalExample, type EvalTarget } from './check-eval-example';
import { DuplicateIndex } from './duplicate-index';
import { toConversation, toPreferencePair, type Conversation, type DatasetFormat } from './formats';
import { readLines, type DatasetInput } from './read-lines';
import { finding, type DatasetPurpose, type CodeSummary, type Finding, type ValidationCode, type ValidationReport } from '@/lib/universal/dataset-report';

/** Counts the tokens of a conversation as the chosen model will see it (see createTokenCounter). */
export type TokenCounter = (conversation: Conversation) => number | Promise<number>;

export interface ValidationProgress {
  bytesRead: number;
  /** Null when the input is a stream of unknown length and totalBytes was not given. */
  totalBytes: number | null;
  lines: number;
}

export interface ValidateDatasetOptions {
  /** A file path or a byte stream of JSONL. */
  input: DatasetInput;
  /** The chosen model's context in tokens; examples longer than it get `too_long`. */
  contextLength?: number;
  /** Exact token counts for `too_long`; without one, tokens are estimated at 4 characters each. */
  tokenCounter?: TokenCounter;
  onProgress?: (progress: ValidationProgress) => void;
  /** Size of a stream input, for progress. */
  totalBytes?: number;
  /** Fewer examples than this is `too_few_examples`. Default 10 (OpenAI's minimum), 1 for an eval set. */
  minExamples?: number;
  /** Lines longer than this are `line_too_long` and are not buffered. Default 32 MiB. */
  maxLineBytes?: number;
  /** "evals": the file is an eval set (check-eval-example.ts); one example is then enough. */
  purpose?: DatasetPurpose;
}


export const SAMPLES_PER_CODE = 20;
export const DEFAULT_MIN_EXAMPLES = 10;
export const DEFAULT_MAX_LINE_BYTES = 32 * 1024 * 1024;
const PROGRESS_INTERVAL_MS = 200;

/**
 * Reads a JSONL dataset once, in constant memory, and reports every problem with its line, code
 * and field. Content never makes it throw (random bytes, broken JSON, huge or deeply nested lines
 * are findings); only I/O errors reject.
 */
export async function validateDataset({
  input,
  contextLength,
  tokenCounter,
  onProgress,
  totalBytes,
  minExamples,
  maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  purpose = 'fine-tune',
}: ValidateDatasetOptions): Promise<ValidationReport> {
  const leastExamples = minExamples ?? (purpose === 'evals' ? 1 : DEFAULT_MIN_EXAMPLES);
  const total = totalBytes ?? (typeof input === 'string' ? (await stat(input)).size : null);
  const report: ValidationReport = {
    format: null,
    examples: 0,
    validExamples: 0,
    lines: 0,
    bytes: 0,
    errors: 0,
    warnings: 0,
    byCode: {},
    ok: false,
  };
  const add = (found: Finding) => {
    if (found.severity === 'error') report.errors++;
    else report.warnings++;
    const summary = (report.byCode[found.code] ??= { severity: found.severity, count: 0, samples: [] });
    summary.count++;
    if (summary.samples.length < SAMPLES_PER_CODE) summary.samples.push(found);
  };
  const duplicates = new DuplicateIndex();
  let lastProgress = 0;
  const progress = (force: boolean) => {
    const now = Date.now();
    if (!onProgress || (!force && now - lastProgress < PROGRESS_INTERVAL_MS)) return;
    lastProgress = now;
    onProgress({ bytesRead: report.bytes, totalBytes: total, lines: report.lines });
  };

  for await (const line of readLines({ input, maxLineBytes, onBytes: (bytes) => ((report.bytes = bytes), progress(false)) })) {
    report.lines = line.number;
    if (line.oversized) {
      report.examples++;
      add(finding(line.number, 'line_too_long', `The line is ${line.byteLength} bytes; lines longer than ${maxLineBytes} bytes are not read.`));
      continue;
    }
    let bytes = line.bytes;
    const bom = startsWithBom(bytes);
    if (bom) {
      add(finding(line.number, 'bom', bomMessage(line.number)));
      bytes = bytes.subarray(3);
    }
    if (isBlank(bytes)) {
      add(finding(line.number, 'blank_line', 'The line is empty.'));
      continue;
    }
    report.examples++;
    const lineFindings = checkLine(bytes, line.number, report.format, contextLength !== undefined, purpose);
    if (contextLength !== undefined && lineFindings.conversation) {
      let tokens = 0;
      try {
        tokens = tokenCounter ? await tokenCounter(lineFindings.conversation) : estimateTokens(lineFindings.conversation);
      } catch (error) {
        // Templates refuse what their model was not trained on (a system role, say): a finding, not a crash.
        lineFindings.findings.push(finding(line.number, 'template_error', error instanceof Error ? error.message : String(error)));
      }
      if (tokens > contextLength) {
        const about = tokenCounter ? '' : 'about ';
        lineFindings.findings.push(
          finding(line.number, 'too_long', `The example is ${about}${tokens} tokens; the model's context is ${contextLength}, so it will be truncated to ${contextLength} tokens.`),
        );
      }
    }
    let lineHasError = bom;
    for (const found of lineFindings.findings) {
      add(found);
      if (found.severity === 'error') lineHasError = true;
    }
    if (report.format === null && lineFindings.format !== null) report.format = lineFindings.format;
    if (lineHasError) continue;
    report.validExamples++;
    const earlier = duplicates.seen(bytes, line.number);
    if (earlier !== 0) add(finding(line.number, 'duplicate_example', `The line is identical to line ${earlier}.`));
  }

  if (duplicates.saturated) {
    add(finding(null, 'duplicate_check_limited', 'Only the first few million distinct examples were remembered; later duplicates of later lines may be missed.'));
  }
  if (report.examples < leastExamples) {
    const needs = purpose === 'evals' ? 'an eval set needs' : 'a fine-tune needs';
    add(finding(null, 'too_few_examples', `The file has ${report.examples} example${report.examples === 1 ? '' : 's'}; ${needs} at least ${leastExamples}.`));
  }
  report.ok = report.errors === 0;
  progress(true);
  return report;
}

export interface CheckedLine {
  format: DatasetFormat | null;
  findings: Finding[];
  /** Set only when the line has no error and a context length is to be checked. */
  conversation?: Conversation;
  /** For a preference example, the input followed by the non-preferred output (`conversation` holds the preferred one). */
  rejected?: Conversation;
  /** For an eval example without errors: what its answers are graded against. */
  evalTarget?: EvalTarget;
}

/** Decodes, parses and checks one line's bytes; `conversation` is set on request when the line has no error. */
export function checkLine(bytes: Buffer, line: number, fileFormat: DatasetFormat | null, wantConversation = false, purpose: DatasetPurpose = 'fine-tune'): CheckedLine {
  if (!isUtf8(bytes)) {
    const at = firstInvalidUtf8(bytes);
    return { format: null, findings: [finding(line, 'invalid_utf8', `The line is not valid UTF-8 (first bad byte at column ${at + 1}).`)] };
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    if (error instanceof RangeError) {
      return { format: null, findings: [finding(line, 'nesting_too_deep', 'The JSON on this line is nested too deeply to read.')] };
    }
    const detail = error instanceof Error ? error.message : String(error);
    return { format: null, findings: [finding(line, 'invalid_json', `The line is not valid JSON: ${truncate(detail, 200)}`)] };
  }
  const checked: CheckedLine = checkExample({ value, line, fileFormat });
  if (purpose === 'evals') {
    const forEval = checkEvalExample(value, line, checked.format, checked.findings);
    checked.findings = forEval.findings;
    if (forEval.target) checked.evalTarget = forEval.target;
  }
  if (wantConversation && checked.format !== null && !checked.findings.some((f) => f.severity === 'error')) {
    if (checked.format === 'preference') {
      const pair = toPreferencePair(value as Record<string, unknown>);
      checked.conversation = pair.chosen;
      checked.rejected = pair.rejected;
    } else {
      checked.conversation = toConversation(value as Record<string, unknown>, checked.format);
      // An eval example's earlier assistant turns are context for the models asked, never a target.
      if (purpose === 'evals') checked.conversation.messages = checked.conversation.messages.map((m) => (m.role === 'assistant' ? { ...m, weight: 0 } : m));
    }
  }
  return checked;
}

/** Without the model's tokenizer: about 4 characters per token plus a few tokens of template per message. */
function estimateTokens(conversation: Conversation): number {
  let characters = 0;
  for (const message of conversation.messages) characters += (message.content?.length ?? 0) + 16;
  return Math.ceil(characters / 4);
}

export function startsWithBom(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

export function bomMessage(line: number): string {
  return line === 1
    ? 'The file starts with a UTF-8 byte-order mark (EF BB BF).'
    : 'The line starts with a UTF-8 byte-order mark (EF BB BF), as where files saved with one were joined.';
}

export function isBlank(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d && byte !== 0x0b && byte !== 0x0c) return false;
  }
  return true;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** Byte offset of the first byte that breaks UTF-8 (only called on lines that do). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need = 0;
    let min = 0;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= bytes.length) return i;
    let code = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) return i;
      code = (code << 6) | (c & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += need + 1;
  }
  return 0;
}

