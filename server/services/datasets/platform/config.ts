import path from 'node:path';
import { artifactStoreConfigFromEnv, createArtifactStore, type ArtifactStore } from '@/server/services/artifacts/create-artifact-store';

export const DEFAULT_MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

/** A size limit in bytes from the environment variable `name`, or `fallback` when it is unset. */
export function byteLimitFromEnv(name: string, fallback: number, env: Record<string, string | undefined> = process.env): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number of bytes, not "${raw}"`);
  return value;
}

/** The largest dataset file accepted, from LATHE_MAX_UPLOAD_BYTES (bytes; default 512 MiB). */
export function maxUploadBytes(env: Record<string, string | undefined> = process.env): number {
  return byteLimitFromEnv('LATHE_MAX_UPLOAD_BYTES', DEFAULT_MAX_UPLOAD_BYTES, env);
}

export { formatBytes } from '@/lib/universal/format-bytes';

export function dataDir(env: Record<string, string | undefined> = process.env): string {
  return env.LATHE_DATA_DIR || path.resolve('.lathe');
}

const globalForStore = globalThis as unknown as { __latheDatasetStore?: ArtifactStore };

/** The process's artifact store, configured from the environment. */
export function datasetStore(): ArtifactStore {
  globalForStore.__latheDatasetStore ??= createArtifactStore(artifactStoreConfigFromEnv());
  return globalForStore.__latheDatasetStore;
}

const MAX_FILENAME_LENGTH = 255;

/** A display name from what a client sent: no directories, no control characters, bounded length. */
export function cleanFilename(raw: string | null | undefined): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, MAX_FILENAME_LENGTH);
  return cleaned || 'dataset.jsonl';
}
