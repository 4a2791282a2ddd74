// An organization's Hugging Face token at rest: encrypted and bound to its organization, readable
// through a key rotation, and a clear error when no key the server has can read it.
import { afterEach, describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { createTestUser } from '@/tests/helpers/factories';
import { tenantOf } from '@/tests/kit/datasets';
import { getHubTokenStatus, hubTokenFor, rotateHubTokens, setHubToken } from './hub-token';

const KEYS = ['LATHE_SECRET_KEY', 'LATHE_SECRET_KEY_PREVIOUS'] as const;
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
afterEach(() => {
  for (const k of KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

const OLD_KEY = 'o'.repeat(40);
const NEW_KEY = 'n'.repeat(40);

describe('organization Hub tokens', () => {
  it('stores only ciphertext and the last four characters, and refuses what is not a Hub token', async () => {
    const user = await createTestUser();
    const token = `hf_${'x'.repeat(30)}abcd`;
    await setHubToken({ tenant: tenantOf(user), token });
    const row = await getDb().organizationHubToken.findUniqueOrThrow({ where: { organizationId: user.organization.id } });
    expect(row.last4).toBe('abcd');
    expect(row.ciphertext).not.toContain('xxxx');
    expect(await getHubTokenStatus({ tenant: tenantOf(user) })).toMatchObject({ configured: true, last4: 'abcd' });
    expect(JSON.stringify((await getDb().auditLogEntry.findMany({ where: { organizationId: user.organization.id } })).map((e) => e.data))).not.toContain(token);
    await expect(setHubToken({ tenant: tenantOf(user), token: 'ghp_not_a_hub_token' })).rejects.toMatchObject({ code: 'BAD_REQUEST', details: { param: 'token' } });
  });

  it("a token copied into another organization's row does not decrypt there", async () => {
    const [a, b] = [await createTestUser(), await createTestUser()];
    await setHubToken({ tenant: tenantOf(a), token: 'hf_only_for_a_1234' });
    await setHubToken({ tenant: tenantOf(b), token: 'hf_only_for_b_5678' });
    const { ciphertext } = await getDb().organizationHubToken.findUniqueOrThrow({ where: { organizationId: a.organization.id } });
    await getDb().organizationHubToken.update({ where: { organizationId: b.organization.id }, data: { ciphertext } });
    await expect(hubTokenFor({ db: getDb(), organizationId: b.organization.id })).rejects.toMatchObject({ details: { reason: 'hub_token_unreadable' } });
  });

  it('stays readable through a key rotation, and needs the old key no more once rotated', async () => {
    const user = await createTestUser();
    process.env.LATHE_SECRET_KEY = OLD_KEY;
    await setHubToken({ tenant: tenantOf(user), token: 'hf_rotate_me_9876' });

    process.env.LATHE_SECRET_KEY = NEW_KEY;
    await expect(hubTokenFor({ db: getDb(), organizationId: user.organization.id })).rejects.toMatchObject({ message: expect.stringContaining('LATHE_SECRET_KEY_PREVIOUS') });
    process.env.LATHE_SECRET_KEY_PREVIOUS = OLD_KEY;
    expect(await hubTokenFor({ db: getDb(), organizationId: user.organization.id })).toBe('hf_rotate_me_9876');
    const { rotated, unreadable } = await rotateHubTokens({ db: getDb() });
    expect(rotated).toBeGreaterThanOrEqual(1);
    expect(unreadable).not.toContain(user.organization.id);

    delete process.env.LATHE_SECRET_KEY_PREVIOUS;
    expect(await hubTokenFor({ db: getDb(), organizationId: user.organization.id })).toBe('hf_rotate_me_9876');
  });
});
