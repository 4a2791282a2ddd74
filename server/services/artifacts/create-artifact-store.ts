import path from 'node:path';
import { LocalArtifactStore } from './local-store';
import { S3ArtifactStore, type S3ArtifactStoreConfig } from './s3-store';
import type { ArtifactStore } from './types';

export type ArtifactStoreConfig = { backend: 'local'; dataDir: string } | ({ backend: 's3' } & S3ArtifactStoreConfig);

/**
 * The content-addressed artifact store: `${dataDir}/artifacts/sha256/ab/cdef…` on local disk, or
 * the same keys in an S3-compatible bucket so runners on several hosts share models, datasets and
 * adapters.
 */
export function createArtifactStore(config: ArtifactStoreConfig): ArtifactStore {
  if (config.backend === 'local') return new LocalArtifactStore({ root: path.join(config.dataDir, 'artifacts') });
  return new S3ArtifactStore(config);
}

/**
 * Store settings from the environment: S3 when LATHE_S3_BUCKET is set (LATHE_S3_ENDPOINT,
 * LATHE_S3_REGION, LATHE_S3_PREFIX, LATHE_S3_FORCE_PATH_STYLE; credentials from the AWS SDK's usual
 * chain), otherwise local under LATHE_DATA_DIR (default ./.lathe).
 */
export function artifactStoreConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ArtifactStoreConfig {
  const dataDir = env.LATHE_DATA_DIR || path.resolve('.lathe');
  if (env.LATHE_S3_BUCKET) {
    return {
      backend: 's3',
      bucket: env.LATHE_S3_BUCKET,
      prefix: env.LATHE_S3_PREFIX,
      endpoint: env.LATHE_S3_ENDPOINT || undefined,
      region: env.LATHE_S3_REGION || env.AWS_REGION || undefined,
      forcePathStyle: env.LATHE_S3_FORCE_PATH_STYLE === 'true' || env.LATHE_S3_FORCE_PATH_STYLE === '1',
      spoolDir: path.join(dataDir, 'tmp', 'artifact-spool'),
    };
  }
  return { backend: 'local', dataDir };
}

export type { ArtifactRef, ArtifactStore, GetOptions, PutOptions } from './types';
export { ArtifactError } from './errors';
