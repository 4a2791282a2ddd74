export type DatasetErrorCode =
  /** tokenizer.json or tokenizer_config.json is missing or unreadable. */
  | 'model_files_missing'
  /** The model has no chat template. */
  | 'missing_chat_template'
  /** The chat template does not parse, raises, or hides an assistant message. */
  | 'template_error'
  /** The chat template ran past its time limit (LATHE_TEMPLATE_TIMEOUT_MS). */
  | 'template_timeout'
  /** The chat template needed more memory than its limit (LATHE_TEMPLATE_MEMORY_MB). */
  | 'template_memory_exceeded'
  /** A line has a validation error: tokenization only runs on files that validate. */
  | 'invalid_example'
  /** The dataset has no example left to write. */
  | 'empty_dataset'
  /** A validation split was asked of a stream: it needs a file to count examples first. */
  | 'split_needs_file'
  /** A .ltok file is truncated, misaligned or has a bad header. */
  | 'ltok_corrupt'
  /** Preference pairs were asked for, but an example is not in the preference format. */
  | 'not_preference_data';

/** A failure the caller can show as is: a stable code, a message, and the line when there is one. */
export class DatasetError extends Error {
  constructor(
    readonly code: DatasetErrorCode,
    message: string,
    readonly line: number | null = null,
  ) {
    super(line === null ? message : `line ${line}: ${message}`);
    this.name = 'DatasetError';
  }
}

/** A chat template failure in a batch of conversations: `index` is the conversation's place in the batch, null when the batch as a whole failed. */
export class TemplateRenderError extends DatasetError {
  constructor(
    code: DatasetErrorCode,
    message: string,
    readonly index: number | null,
  ) {
    super(code, message);
    this.name = 'TemplateRenderError';
  }
}
