import { describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { getDb } from '@/server/db';
import { callerFor, callerForKey, createTestKey, createTestUser } from '@/tests/helpers/factories';
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

  it('an API key cannot create, list or revoke API keys', async () => {
    const u = await createTestUser();
    const key = await createTestKey(u);
    const [row] = await callerFor(u).apiKey.list();
    const asKey = await callerForKey(key);
    for (const attempt of [() => asKey.apiKey.create({ name: 'minted-by-a-key' }), () => asKey.apiKey.list(), () => asKey.apiKey.revoke({ id: row!.id })]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe('FORBIDDEN');
      expect((error as TRPCError).message).toMatch(/signed-in session/);
    }
    expect(await getDb().apiKey.count({ where: { projectId: u.project.id, revokedAt: null } })).toBe(1);
  });
});
