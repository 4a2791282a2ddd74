// The dataset report as every surface shows it: validation codes with their severity, findings
// with line and field, the report and its per-code summaries, the code docs and the length
// statistics. Browser-safe: the dataset page renders these types, the validator produces them.
export type DatasetFormat = 'chat' | 'prompt_completion' | 'alpaca' | 'preference';

/** What a dataset is for: training a fine-tune, or evaluating models (an eval set). */
export const DATASET_PURPOSES = ['fine-tune', 'evals'] as const;
export type DatasetPurpose = (typeof DATASET_PURPOSES)[number];

export type Severity = 'error' | 'warning';

export interface CodeInfo {
  severity: Severity;
  /** One line for listings; docs/datasets.md carries the full explanation and the fix. */
  summary: string;
}

/**
 * Every finding the dataset validator can report. The codes are a public contract (API answers,
 * the dataset page, docs/datasets.md): add new ones, never rename or reuse one.
 */
export const VALIDATION_CODES = {
  invalid_utf8: { severity: 'error', summary: 'The line is not valid UTF-8.' },
  bom: { severity: 'error', summary: 'The file (or a line, where files were joined) starts with a byte-order mark.' },
  blank_line: { severity: 'error', summary: 'The line is empty or only whitespace.' },
  line_too_long: { severity: 'error', summary: 'The line is longer than the largest line Lathe reads.' },
  invalid_json: { severity: 'error', summary: 'The line is not valid JSON.' },
  nesting_too_deep: { severity: 'error', summary: 'The JSON on the line is nested too deeply to read.' },
  not_an_object: { severity: 'error', summary: 'The line is JSON but not an object.' },
  unknown_format: { severity: 'error', summary: 'The line matches none of the supported formats.' },
  mixed_formats: { severity: 'error', summary: 'The line uses a different format from the lines before it.' },
  unrecognized_key: { severity: 'warning', summary: 'The example has a top-level key Lathe ignores.' },
  missing_messages: { severity: 'error', summary: 'A chat example has no "messages" key.' },
  messages_not_list: { severity: 'error', summary: '"messages" is not a list.' },
  empty_messages: { severity: 'error', summary: '"messages" is an empty list.' },
  message_not_object: { severity: 'error', summary: 'An entry of "messages" is not an object.' },
  missing_role: { severity: 'error', summary: 'A message has no "role".' },
  unrecognized_role: { severity: 'error', summary: 'A message has a role other than system, user, assistant or tool.' },
  missing_content: { severity: 'error', summary: 'A message has no "content" (or null content without tool calls).' },
  content_not_string: { severity: 'error', summary: 'A content field is neither a string nor a list of text parts.' },
  empty_content: { severity: 'error', summary: 'A content field is empty or only whitespace.' },
  unrecognized_message_key: { severity: 'error', summary: 'A message has a key Lathe does not know.' },
  invalid_name: { severity: 'error', summary: 'A message "name" is not a non-empty string.' },
  invalid_weight: { severity: 'error', summary: 'A "weight" is not 0 or 1, or is set on a message that is not from the assistant.' },
  no_assistant_message: { severity: 'error', summary: 'The conversation has no assistant message to train on.' },
  bad_first_role: { severity: 'error', summary: 'The conversation does not start with a system or user message.' },
  not_alternating: { severity: 'warning', summary: 'User and assistant turns do not alternate.' },
  invalid_tool_calls: { severity: 'error', summary: '"tool_calls" is not a non-empty list, or is on a message that is not from the assistant.' },
  invalid_tool_call: { severity: 'error', summary: 'A tool call lacks an id, a function name or string arguments.' },
  invalid_tool_arguments: { severity: 'error', summary: 'A tool call\'s "arguments" is not a JSON object encoded as a string.' },
  missing_tool_call_id: { severity: 'error', summary: 'A tool message has no "tool_call_id".' },
  unknown_tool_call_id: { severity: 'error', summary: 'A tool message answers a tool call that no earlier assistant message made.' },
  invalid_tools: { severity: 'error', summary: 'The top-level "tools" list is malformed.' },
  missing_prompt: { severity: 'error', summary: 'A prompt/completion example has no "prompt".' },
  missing_completion: { severity: 'error', summary: 'A prompt/completion example has no "completion".' },
  missing_instruction: { severity: 'error', summary: 'An Alpaca example has no "instruction".' },
  missing_output: { severity: 'error', summary: 'An Alpaca example has no "output".' },
  missing_preference_input: { severity: 'error', summary: 'A preference example has no "input" object with a "messages" list.' },
  missing_preference_output: { severity: 'error', summary: 'A preference example lacks "preferred_output" or "non_preferred_output".' },
  invalid_preference_output: { severity: 'error', summary: 'A preference output is not a list holding one assistant message.' },
  empty_preference_output: { severity: 'error', summary: 'A preference output is an empty list or its content is empty.' },
  duplicate_example: { severity: 'warning', summary: 'The line repeats an earlier line exactly.' },
  duplicate_check_limited: { severity: 'warning', summary: 'The file has too many examples to check every one for duplicates.' },
  template_error: { severity: 'error', summary: 'The chosen model\'s chat template fails on the example.' },
  too_long: { severity: 'warning', summary: 'The example is longer than the model\'s context and will be truncated.' },
  too_few_examples: { severity: 'error', summary: 'The file has fewer examples than a fine-tune needs.' },
  eval_not_chat: { severity: 'error', summary: 'An eval set example is not a chat with "messages".' },
  eval_last_turn_not_user: { severity: 'error', summary: 'An eval example\'s conversation does not end with a user message.' },
  eval_missing_target: { severity: 'error', summary: 'An eval example has neither "expected" nor "rubric".' },
  eval_invalid_target: { severity: 'error', summary: 'An eval example\'s "expected" or "rubric" is not a non-empty string.' },
} as const satisfies Record<string, CodeInfo>;

export type ValidationCode = keyof typeof VALIDATION_CODES;

export interface Finding {
  /** 1-based line number in the file; null for findings about the whole file. */
  line: number | null;
  code: ValidationCode;
  severity: Severity;
  message: string;
  /** Path of the offending field inside the example, such as `messages[2].role`; null for the whole line. */
  field: string | null;
}

export function finding(line: number | null, code: ValidationCode, message: string, field: string | null = null): Finding {
  return { line, code, severity: VALIDATION_CODES[code].severity, message, field };
}

export interface CodeSummary {
  severity: Severity;
  count: number;
  /** The first findings of this code, in file order. */
  samples: Finding[];
}

export interface ValidationReport {
  format: DatasetFormat | null;
  /** Non-blank lines: each is one example, valid or not. */
  examples: number;
  /** Examples with no error. */
  validExamples: number;
  lines: number;
  bytes: number;
  errors: number;
  warnings: number;
  byCode: Partial<Record<ValidationCode, CodeSummary>>;
  /** True when there is no error: the file can be used for a job. Warnings do not block. */
  ok: boolean;
}

export interface CodeDoc {
  severity: 'error' | 'warning';
  summary: string;
  /** What the finding means, from docs/datasets.md. */
  meaning: string;
  /** How to fix it, from docs/datasets.md; null when the section has no fix paragraph. */
  fix: string | null;
}

export interface CharacterBucket {
  /** Smallest character count in the bucket. */
  min: number;
  /** One past the largest; null for the last, open bucket. */
  max: number | null;
  count: number;
}

/**
 * What the dataset page and the cost preview show before a model is chosen. Token counts here are
 * estimates from characters (about 4 per token); the exact counts come from tokenizing with the
 * chosen model's tokenizer when a job is prepared.
 */
export interface DatasetStats {
  /** Examples without errors, the ones a job trains on. */
  examples: number;
  bytes: number;
  messages: number;
  /** Characters of message text, tool calls included. */
  characters: number;
  /** Characters of assistant messages with weight 1: what training computes loss on. */
  trainedCharacters: number;
  estimatedTokens: number;
  estimatedTrainedTokens: number;
  maxExampleCharacters: number;
  meanExampleCharacters: number;
  /** Example lengths in characters, in fine fixed buckets (binHistogram picks the chart's bars). */
  histogram: CharacterBucket[];
}

/**
 * The bars a length chart shows, picked from the data: the buckets from the shortest to the longest
 * example, merged in runs of equal size until at most `maxBars` are left. A dataset whose
 * examples are all 40–200 characters gets bars across 40–200, not one "0–256" bar.
 */
export function binHistogram(buckets: readonly CharacterBucket[], maxBars = 12): CharacterBucket[] {
  const first = buckets.findIndex((b) => b.count > 0);
  if (first < 0) return buckets.length > 0 ? [{ ...buckets[0]! }] : [];
  const last = buckets.findLastIndex((b) => b.count > 0);
  const span = buckets.slice(first, last + 1);
  const size = Math.ceil(span.length / Math.max(1, maxBars));
  const bars: CharacterBucket[] = [];
  for (let i = 0; i < span.length; i += size) {
    const run = span.slice(i, i + size);
    bars.push({ min: run[0]!.min, max: run.at(-1)!.max, count: run.reduce((sum, b) => sum + b.count, 0) });
  }
  return bars;
}
