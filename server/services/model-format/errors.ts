export type ModelErrorCode =
  | 'missing_config'
  | 'missing_weights'
  | 'missing_tokenizer'
  | 'unsupported_architecture'
  | 'unsupported_tokenizer'
  | 'unsupported_dtype'
  | 'shape_mismatch'
  | 'corrupt_safetensors'
  | 'corrupt_gguf'
  | 'invalid_config'
  | 'invalid_adapter'
  | 'llama_rejected'
  | 'conversion_failed'
  | 'hub_unauthorized'
  | 'hub_not_found'
  | 'hub_error'
  /** The token cannot write to the target repo's namespace (a repo or organization of someone else). */
  | 'hub_repo_not_ours'
  /** The organization has no Hugging Face token to push with. */
  | 'hub_no_token'
  | 'truncated_download'
  | 'checksum_mismatch'
  /** The organization's storage left is smaller than the model (LATHE_QUOTA_STORAGE_BYTES or its own limit). */
  | 'storage_quota_exceeded'
  | 'aborted';

/** The one error type of the model services: `code` is stable and safe to show or store. */
export class ModelError extends Error {
  readonly code: ModelErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ModelErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: ModelErrorCode; message: string; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export function isModelError(error: unknown, code?: ModelErrorCode): error is ModelError {
  return error instanceof ModelError && (code === undefined || error.code === code);
}
