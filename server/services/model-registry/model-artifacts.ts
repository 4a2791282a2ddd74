// The shape of BaseModel.artifacts (a contract read by the jobs feature, the runners and the
// dataset tokenizer) and the way back from it to a Hugging Face folder on disk.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { ArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { ModelError } from '@/server/services/model-format/errors';

const ZSha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const ZStoredFile = z.object({ sha256: ZSha256, size: z.number().int().nonnegative() });

export const ZModelArtifacts = z.object({
  /** Every file of the Hugging Face folder by its relative path (POSIX separators); null for a GGUF-only import. */
  hf: z.object({ files: z.record(z.string(), ZStoredFile) }).nullable(),
  gguf: ZStoredFile.extend({ type: z.enum(['F32', 'F16', 'Q8_0']) }),
});

export type TModelArtifacts = z.infer<typeof ZModelArtifacts>;
export type TStoredFile = z.infer<typeof ZStoredFile>;

/** Parses BaseModel.artifacts; a row that is not READY (or a GGUF-only model asked for its folder) has none. */
export function parseModelArtifacts(value: unknown): TModelArtifacts {
  const parsed = ZModelArtifacts.safeParse(value);
  if (!parsed.success) throw new ModelError('invalid_config', `the model's artifact record is missing or malformed: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** A relative path from the artifact record, refused when it could escape the destination folder. */
export function safeRelativePath(relative: string): string {
  const normalized = path.posix.normalize(relative);
  if (!relative || path.posix.isAbsolute(relative) || normalized.startsWith('..') || normalized.includes('\0') || normalized !== relative) {
    throw new ModelError('invalid_config', `refusing the artifact path ${JSON.stringify(relative)}`);
  }
  return normalized;
}

export interface MaterializeModelFolderOptions {
  store: ArtifactStore;
  /** BaseModel.artifacts as stored (parsed here), or already parsed. */
  artifacts: unknown;
  /** Created with the model's files; must not exist yet, or be an empty folder. */
  destDir: string;
}

/**
 * Recreates the Hugging Face folder of a READY base model from the artifact store (hardlinks on a
 * local store, downloads from S3). The folder appears complete or not at all: files land in a
 * sibling temporary folder that is renamed into place at the end.
 */
export async function materializeModelFolder({ store, artifacts, destDir }: MaterializeModelFolderOptions): Promise<{ dir: string; files: number; bytes: number }> {
  const { hf } = parseModelArtifacts(artifacts);
  if (!hf) throw new ModelError('missing_weights', 'this model was imported as a GGUF only: it can be served but has no Hugging Face folder to train on');
  const dest = path.resolve(destDir);
  if (existsSync(dest)) {
    // An empty placeholder folder is fine; anything in it would be mixed with the model's files.
    await rmdir(dest).catch(() => {
      throw new ModelError('invalid_config', `${dest} already exists and is not empty`);
    });
  }
  const staging = `${dest}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  let bytes = 0;
  try {
    for (const [relative, file] of Object.entries(hf.files)) {
      const ref = await store.materialize(file.sha256, path.join(staging, ...safeRelativePath(relative).split('/')));
      if (ref.size !== file.size) throw new ModelError('checksum_mismatch', `${relative}: the store holds ${ref.size} bytes, the model record says ${file.size}`);
      bytes += ref.size;
    }
    await mkdir(path.dirname(dest), { recursive: true });
    await rename(staging, dest);
    return { dir: dest, files: Object.keys(hf.files).length, bytes };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
