import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArtifactError } from './errors';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function assertSha256(value: string): string {
  if (!SHA256_HEX.test(value)) throw new ArtifactError('invalid_digest', `not a lower-case hex SHA-256: ${JSON.stringify(value)}`);
  return value;
}

/** `sha256/ab/cdef…`: two-character fan-out keeps directories and S3 listings small. */
export function artifactKey(sha256: string): string {
  assertSha256(sha256);
  return `sha256/${sha256.slice(0, 2)}/${sha256.slice(2)}`;
}

/** A pass-through stream that hashes and counts what flows through it. */
export class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** The SHA-256 and size of a file, read where it lies. */
export async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const hashing = new HashingStream();
  await pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), hashing, new Writable({ write: (_chunk, _encoding, done) => done() }));
  return { sha256: hashing.digest(), size: hashing.bytes };
}

/** Like HashingStream, but errors at the end if the content is not `expected`. */
export class VerifyingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');

  constructor(private readonly expected: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.hash.digest('hex');
    callback(actual === this.expected ? null : new ArtifactError('checksum_mismatch', `artifact ${this.expected} read back as ${actual}`));
  }
}
