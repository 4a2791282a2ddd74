// Serving test helpers: an imported fixture model, a user with a key and credits, and a look at
// the inference server behind a deployment.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { getDb } from '@/server/db';
import { InferenceClient } from '@/server/services/serving/inference-client';
import { runLathe } from '@/tests/helpers/cli';
import { createTestKey, createTestUser, type TestUser } from '@/tests/helpers/factories';

/**
 * The internal token every platform of the test run shares (the supervisor keeps it in the data
 * folder), so that a test can reach the inference servers too. Any test's runner may serve any
 * deployment of the shared database, so no test may start its platform with a token of its own.
 */
export function platformInternalToken(): string {
  return process.env.LATHE_INTERNAL_TOKEN || readFileSync(path.join(process.env.LATHE_DATA_DIR!, 'internal-token'), 'utf8').trim();
}

export async function importModel(modelDir: string, name: string): Promise<void> {
  const imported = await runLathe(['models', 'import', modelDir, '--name', name]);
  expect(imported.code, imported.stderr).toBe(0);
}

/** A user (through the real sign-up service) with an API key and, unless null, a credit grant. */
export async function userWithKey(credits: number | null): Promise<{ user: TestUser; key: string }> {
  const user = await createTestUser();
  const key = await createTestKey(user);
  if (credits !== null) await getDb().creditLedgerEntry.create({ data: { organizationId: user.organization.id, kind: 'GRANT', amount: credits, memo: 'test grant' } });
  return { user, key };
}

/** The client of the inference server that serves a base model now (its deployment must be READY). */
export async function inferenceClientFor(baseModelName: string, token = platformInternalToken()): Promise<InferenceClient> {
  const deployment = await getDb().deployment.findFirstOrThrow({ where: { status: 'READY', baseModel: { name: baseModelName } }, orderBy: { createdAt: 'desc' } });
  return new InferenceClient({ baseUrl: deployment.endpoint!, token });
}

export async function eventually<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
