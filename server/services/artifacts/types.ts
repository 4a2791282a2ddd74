import type { Readable } from 'node:stream';

export interface ArtifactRef {
  /** Lower-case hex SHA-256 of the content: the artifact's identity. */
  sha256: string;
  size: number;
  /** Backend-independent relative key, `sha256/ab/cdef…`. */
  key: string;
}

export interface PutOptions {
  /** Refuse (and publish nothing) unless the content hashes to this. */
  expectedSha256?: string;
}

export interface GetOptions {
  /** Hash while streaming and fail the stream at its end if the content does not match. */
  verify?: boolean;
}

export interface ArtifactStore {
  readonly backend: 'local' | 's3';
  /** Stores a stream or the file at a path; identical content is stored once. */
  put(source: Readable | string, options?: PutOptions): Promise<ArtifactRef>;
  /**
   * Stores a complete, synced file whose SHA-256 and size the caller computed while writing it,
   * without reading it again: the local store links it into place (it becomes read-only and must
   * never change again), S3 uploads it from where it lies. The file stays where it was as well.
   */
  adopt(file: string, content: Pick<ArtifactRef, 'sha256' | 'size'>): Promise<ArtifactRef>;
  /** Streams an artifact's bytes; rejects with not_found. */
  get(sha256: string, options?: GetOptions): Promise<Readable>;
  /** Makes the artifact appear at destPath (hardlink or copy locally, download from S3), verified and atomically. */
  materialize(sha256: string, destPath: string): Promise<ArtifactRef>;
  has(sha256: string): Promise<boolean>;
  stat(sha256: string): Promise<ArtifactRef | null>;
  /** Removes an artifact; true if it existed. */
  delete(sha256: string): Promise<boolean>;
}
