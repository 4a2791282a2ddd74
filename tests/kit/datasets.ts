// Shared by the platform tests: a tenant acting as a test user, and a fixture uploaded and validated.
import type { DatasetPurpose } from '@/lib/universal/dataset-report';
import path from 'node:path';
import { getDb } from '@/server/db';
import { tenantDb, type TenantContext } from '@/server/db/tenant';
import type { TestUser } from '@/tests/helpers/factories';
import { createDataset } from '../../server/services/datasets/platform/create-dataset';
import { runDatasetValidation } from '../../server/services/datasets/platform/run-dataset-validation';
import { datasetStore } from '../../server/services/datasets/platform/config';

export const FIXTURES = path.resolve('tests/fixtures/datasets');

export function tenantOf(user: TestUser): TenantContext {
  const scope = { organizationId: user.organization.id, projectId: user.project.id };
  return { db: tenantDb(scope), scope, actor: { userId: user.user.id } };
}

/** Uploads a corpus file's exact bytes through the service every upload path uses, then runs the worker's validation. */
export async function uploadAndValidate(user: TestUser, relative: string, purpose: DatasetPurpose = 'fine-tune') {
  const created = await createDataset({ tenant: tenantOf(user), source: { path: path.join(FIXTURES, relative) }, filename: path.basename(relative), purpose });
  const outcome = await runDatasetValidation({ datasetId: created.id, db: getDb() });
  const row = await getDb().dataset.findUniqueOrThrow({ where: { id: created.id } });
  return { created, outcome, row };
}

export type StoredFiles = Record<string, { sha256: string; size: number }>;

/** The fixture tokenizer's files put in the process's artifact store, as a model's `hf.files`. */
export async function storeFixtureTokenizer(): Promise<StoredFiles> {
  const files: StoredFiles = {};
  for (const name of ['tokenizer.json', 'tokenizer_config.json']) {
    const ref = await datasetStore().put(path.join(FIXTURES, 'tokenizer', name));
    files[name] = { sha256: ref.sha256, size: ref.size };
  }
  return files;
}

/** A READY, trainable base model of the user's organization made of the fixture tokenizer (`files`), changed by `data`. */
export function seedTokenizerModel(user: TestUser, name: string, files: StoredFiles, data: Record<string, unknown> = {}) {
  return getDb().baseModel.create({
    data: {
      organizationId: user.organization.id,
      name,
      source: 'FOLDER',
      status: 'READY',
      chatTemplate: true,
      contextLength: 2048,
      pricePerMillionTokens: 3,
      details: { trainable: true },
      artifacts: { hf: { files }, gguf: { type: 'F32', ...files['tokenizer.json']! } },
      ...data,
    },
  });
}
