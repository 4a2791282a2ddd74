import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, copyFile, link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { artifactKey, assertSha256, HashingStream, VerifyingStream } from './digest';
import { ArtifactError } from './errors';
import type { ArtifactRef, ArtifactStore, GetOptions, PutOptions } from './types';

export interface LocalArtifactStoreConfig {
  /** Artifacts live under `${root}/sha256/ab/cdef…`, temporary files under `${root}/tmp`. */
  root: string;
}

function tmpName(dir: string): string {
  return path.join(dir, `${process.pid}-${randomBytes(8).toString('hex')}`);
}

/** Writes `source` to a temporary file under `tmpDir`, hashing as it goes; returns the digest and size. */
export async function spoolToTemp(source: Readable | string, tmpDir: string): Promise<{ file: string; sha256: string; size: number }> {
  await mkdir(tmpDir, { recursive: true });
  const file = tmpName(tmpDir);
  const hashing = new HashingStream();
  const output = createWriteStream(file, { flags: 'wx' });
  try {
    const input = typeof source === 'string' ? createReadStream(source) : source;
    await pipeline(input, hashing, output);
    const handle = await open(file, 'r');
    await handle.sync();
    await handle.close();
    return { file, sha256: hashing.digest(), size: hashing.bytes };
  } catch (error) {
    // The write stream opens its file asynchronously: a source that fails at once can reject the
    // pipeline before the file exists. Wait for the stream to close, so the removal finds it.
    if (!output.closed) await new Promise<void>((resolve) => output.once('close', () => resolve()));
    await rm(file, { force: true });
    throw error;
  }
}

export class LocalArtifactStore implements ArtifactStore {
  readonly backend = 'local' as const;
  private readonly tmpDir: string;

  constructor(private readonly config: LocalArtifactStoreConfig) {
    this.tmpDir = path.join(config.root, 'tmp');
  }

  pathOf(sha256: string): string {
    return path.join(this.config.root, artifactKey(sha256));
  }

  async put(source: Readable | string, options: PutOptions = {}): Promise<ArtifactRef> {
    const spooled = await spoolToTemp(source, this.tmpDir);
    try {
      if (options.expectedSha256 && spooled.sha256 !== options.expectedSha256) {
        throw new ArtifactError('checksum_mismatch', `content hashes to ${spooled.sha256}, expected ${options.expectedSha256}`);
      }
      const final = this.pathOf(spooled.sha256);
      const existing = await stat(final).catch(() => undefined);
      if (!existing) {
        await mkdir(path.dirname(final), { recursive: true });
        // Read-only because materialize() hands out hardlinks to this very inode.
        await chmod(spooled.file, 0o444);
        await rename(spooled.file, final);
      }
      return { sha256: spooled.sha256, size: spooled.size, key: artifactKey(spooled.sha256) };
    } finally {
      await rm(spooled.file, { force: true });
    }
  }

  async adopt(file: string, { sha256, size }: Pick<ArtifactRef, 'sha256' | 'size'>): Promise<ArtifactRef> {
    const ref = { sha256, size, key: artifactKey(sha256) };
    const final = this.pathOf(sha256);
    if (await stat(final).catch(() => undefined)) return ref;
    await mkdir(path.dirname(final), { recursive: true });
    // Read-only like every stored artifact: materialize() hands out hardlinks to this inode too.
    await chmod(file, 0o444);
    try {
      await link(file, final);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return ref;
      // Another filesystem, or one without hard links: copied (and hashed again) instead.
      if (code === 'EXDEV' || code === 'EPERM' || code === 'EMLINK') return this.put(file, { expectedSha256: sha256 });
      throw error;
    }
    return ref;
  }

  async get(sha256: string, options: GetOptions = {}): Promise<Readable> {
    const file = this.pathOf(sha256);
    if (!(await this.has(sha256))) throw new ArtifactError('not_found', `artifact ${sha256} is not in the store`);
    const stream = createReadStream(file);
    return options.verify ? stream.pipe(new VerifyingStream(sha256)) : stream;
  }

  async materialize(sha256: string, destPath: string): Promise<ArtifactRef> {
    const ref = await this.stat(sha256);
    if (!ref) throw new ArtifactError('not_found', `artifact ${sha256} is not in the store`);
    await mkdir(path.dirname(destPath), { recursive: true });
    const tmp = `${destPath}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      try {
        await link(this.pathOf(sha256), tmp);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw error;
        await copyFile(this.pathOf(sha256), tmp);
      }
      await rename(tmp, destPath);
      return ref;
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.stat(sha256)) !== null;
  }

  async stat(sha256: string): Promise<ArtifactRef | null> {
    assertSha256(sha256);
    const info = await stat(this.pathOf(sha256)).catch(() => undefined);
    return info?.isFile() ? { sha256, size: info.size, key: artifactKey(sha256) } : null;
  }

  async delete(sha256: string): Promise<boolean> {
    const existed = await this.has(sha256);
    await rm(this.pathOf(sha256), { force: true });
    return existed;
  }
}

/** A readable over a Buffer or string, for callers that hold small artifacts in memory. */
export function bufferSource(data: Buffer | string): Readable {
  return Readable.from([typeof data === 'string' ? Buffer.from(data) : data]);
}
