import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { artifactKey, assertSha256, hashFile, VerifyingStream } from './digest';
import { ArtifactError } from './errors';
import { spoolToTemp } from './local-store';
import type { ArtifactRef, ArtifactStore, GetOptions, PutOptions } from './types';

export interface S3ArtifactStoreConfig {
  bucket: string;
  /** Key prefix inside the bucket, e.g. `lathe/` (a trailing slash is added if missing). */
  prefix?: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Local folder for spooling streams before upload (default: the OS temp dir). */
  spoolDir?: string;
  /** Multipart part size (default 16 MiB; S3's minimum is 5 MiB). */
  partSizeBytes?: number;
  /** Parts uploaded at once (default 3); memory use is about this many parts. */
  concurrency?: number;
  /** Any other S3 client settings. */
  client?: S3ClientConfig;
}

const MiB = 1024 * 1024;

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

function storageError(action: string, error: unknown): ArtifactError {
  return new ArtifactError('storage_error', `S3 ${action} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/**
 * Artifacts in an S3-compatible bucket. The hash is known before anything is sent (files are hashed
 * in place, streams spooled to a local file while hashing), so the object is written straight under
 * its content address, and a multipart upload only becomes visible when it is completed: a reader
 * never sees a partial artifact.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly backend = 's3' as const;
  readonly client: S3Client;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly concurrency: number;
  private readonly spoolDir: string;

  constructor(private readonly config: S3ArtifactStoreConfig) {
    this.client = new S3Client({
      region: config.region ?? 'us-east-1',
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      credentials: config.credentials,
      // Integrity is checked end to end with SHA-256; optional CRC trailers are refused by some S3-compatible servers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...config.client,
    });
    this.prefix = config.prefix ? config.prefix.replace(/\/?$/, '/') : '';
    this.partSize = Math.max(5 * MiB, config.partSizeBytes ?? 16 * MiB);
    this.concurrency = Math.max(1, config.concurrency ?? 3);
    this.spoolDir = config.spoolDir ?? path.join(os.tmpdir(), 'lathe-artifact-spool');
  }

  objectKey(sha256: string): string {
    return this.prefix + artifactKey(sha256);
  }

  async put(source: Readable | string, options: PutOptions = {}): Promise<ArtifactRef> {
    // A file is hashed where it lies and uploaded from there; a stream is spooled to disk first.
    const spooled = typeof source === 'string' ? { ...(await hashFile(source)), file: source, owned: false } : { ...(await spoolToTemp(source, this.spoolDir)), owned: true };
    try {
      if (options.expectedSha256 && spooled.sha256 !== options.expectedSha256) {
        throw new ArtifactError('checksum_mismatch', `content hashes to ${spooled.sha256}, expected ${options.expectedSha256}`);
      }
      return await this.adopt(spooled.file, spooled);
    } finally {
      if (spooled.owned) await rm(spooled.file, { force: true });
    }
  }

  async adopt(file: string, { sha256, size }: Pick<ArtifactRef, 'sha256' | 'size'>): Promise<ArtifactRef> {
    assertSha256(sha256);
    const ref = { sha256, size, key: artifactKey(sha256) };
    const existing = await this.stat(sha256);
    if (existing && existing.size === size) return ref;
    await this.upload(file, sha256, size);
    const stored = await this.stat(sha256);
    if (stored?.size !== size) throw new ArtifactError('storage_error', `S3 holds ${stored?.size ?? 'no'} bytes for ${sha256} after upload, expected ${size}`);
    return ref;
  }

  private async upload(file: string, sha256: string, size: number): Promise<void> {
    const Key = this.objectKey(sha256);
    const Bucket = this.config.bucket;
    const Metadata = { sha256 };
    const handle = await open(file, 'r');
    try {
      const readPart = async (offset: number, length: number) => {
        const buffer = Buffer.allocUnsafe(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
          if (bytesRead === 0) throw new ArtifactError('storage_error', `spool file ended early at ${offset + done}`);
          done += bytesRead;
        }
        return buffer;
      };
      if (size <= this.partSize) {
        const Body = await readPart(0, size);
        await this.client.send(new PutObjectCommand({ Bucket, Key, Body, ContentLength: size, Metadata })).catch((e: unknown) => {
          throw storageError('PutObject', e);
        });
        return;
      }
      const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket, Key, Metadata })).catch((e: unknown) => {
        throw storageError('CreateMultipartUpload', e);
      });
      const UploadId = created.UploadId!;
      try {
        const count = Math.ceil(size / this.partSize);
        const parts: Array<{ PartNumber: number; ETag: string }> = new Array(count);
        let next = 0;
        const worker = async () => {
          while (next < count) {
            const index = next++;
            const offset = index * this.partSize;
            const Body = await readPart(offset, Math.min(this.partSize, size - offset));
            const out = await this.client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: index + 1, Body, ContentLength: Body.length }));
            parts[index] = { PartNumber: index + 1, ETag: out.ETag! };
          }
        };
        await Promise.all(Array.from({ length: Math.min(this.concurrency, count) }, worker));
        await this.client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));
      } catch (error) {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
        throw error instanceof ArtifactError ? error : storageError('multipart upload', error);
      }
    } finally {
      await handle.close();
    }
  }

  async get(sha256: string, options: GetOptions = {}): Promise<Readable> {
    assertSha256(sha256);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(sha256) }));
      const body = out.Body instanceof Readable ? out.Body : Readable.fromWeb(out.Body!.transformToWebStream() as never);
      return options.verify ? body.pipe(new VerifyingStream(sha256)) : body;
    } catch (error) {
      if (isNotFound(error)) throw new ArtifactError('not_found', `artifact ${sha256} is not in bucket ${this.config.bucket}`);
      throw storageError('GetObject', error);
    }
  }

  async materialize(sha256: string, destPath: string): Promise<ArtifactRef> {
    const stream = await this.get(sha256);
    await mkdir(path.dirname(destPath), { recursive: true });
    const tmp = `${destPath}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const verifying = new VerifyingStream(sha256);
    let size = 0;
    verifying.on('data', (chunk: Buffer) => (size += chunk.length));
    try {
      await pipeline(stream, verifying, createWriteStream(tmp));
      await rename(tmp, destPath);
      return { sha256, size, key: artifactKey(sha256) };
    } catch (error) {
      await rm(tmp, { force: true });
      throw error instanceof ArtifactError ? error : storageError('download', error);
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.stat(sha256)) !== null;
  }

  async stat(sha256: string): Promise<ArtifactRef | null> {
    assertSha256(sha256);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(sha256) }));
      return { sha256, size: out.ContentLength ?? 0, key: artifactKey(sha256) };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw storageError('HeadObject', error);
    }
  }

  async delete(sha256: string): Promise<boolean> {
    const existed = await this.has(sha256);
    if (existed) {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(sha256) })).catch((e: unknown) => {
        throw storageError('DeleteObject', e);
      });
    }
    return existed;
  }
}
