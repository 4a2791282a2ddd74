import { describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { callerFor, createTestUser } from '@/tests/helpers/factories';
import { authenticateApiKey } from '@/server/services/api-keys/api-keys';

describe('API keys', () => {
  it('shows the secret once, stores only its hash, lists and revokes', async () => {
    const u = await createTestUser();
    const caller = callerFor(u);
    const { key, apiKey } = await caller.apiKey.create({ name: 'ci' });
    expect(key.startsWith(apiKey.prefix)).toBe(true);
    const row = await getDb().apiKey.findUniqueOrThrow({ where: { id: apiKey.id }, select: { hash: true } });
    expect(row.hash).not.toContain(key);
    expect((await caller.apiKey.list()).map((k) => k.id)).toContain(apiKey.id);
    expect(JSON.stringify(await caller.apiKey.list())).not.toContain(key);
    const principal = await authenticateApiKey({ db: getDb(), secret: key });
    expect(principal?.projectId).toBe(u.project.id);
    await caller.apiKey.revoke({ id: apiKey.id });
    expect(await authenticateApiKey({ db: getDb(), secret: key })).toBeNull();
    await expect(caller.apiKey.revoke({ id: apiKey.id })).rejects.toThrow(/already revoked/);
  });
});
