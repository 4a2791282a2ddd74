// Shared by the platform tests: a tenant acting as a test user, and a fixture uploaded and validated.
import path from 'node:path';
import { getDb } from '@/server/db';
import { tenantDb, type TenantContext } from '@/server/db/tenant';
import type { TestUser } from '@/tests/helpers/factories';
import { createDataset } from '../../server/services/datasets/platform/create-dataset';
import { runDatasetValidation } from '../../server/services/datasets/platform/run-dataset-validation';

export const FIXTURES = path.resolve('tests/fixtures/datasets');

export function tenantOf(user: TestUser): TenantContext {
  const scope = { organizationId: user.organization.id, projectId: user.project.id };
  return { db: tenantDb(scope), scope, actor: { userId: user.user.id } };
}

/** Uploads a corpus file's exact bytes through the service every upload path uses, then runs the worker's validation. */
export async function uploadAndValidate(user: TestUser, relative: string) {
  const created = await createDataset({ tenant: tenantOf(user), source: { path: path.join(FIXTURES, relative) }, filename: path.basename(relative) });
  const outcome = await runDatasetValidation({ datasetId: created.id, db: getDb() });
  const row = await getDb().dataset.findUniqueOrThrow({ where: { id: created.id } });
  return { created, outcome, row };
}
