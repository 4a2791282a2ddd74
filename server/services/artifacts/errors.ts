export type ArtifactErrorCode = 'not_found' | 'checksum_mismatch' | 'invalid_digest' | 'storage_error';

export class ArtifactError extends Error {
  readonly code: ArtifactErrorCode;

  constructor(code: ArtifactErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ArtifactError';
    this.code = code;
  }
}
