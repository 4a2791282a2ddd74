import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getDb } from '@/server/db';
import { LatheError } from '@/server/services/errors';
import { findOrCreateOAuthUser } from '@/server/services/users/oauth-user';
import { createTestUser } from '@/tests/helpers/factories';

const signIn = (email: string, emailVerified: boolean) =>
  findOrCreateOAuthUser({ db: getDb(), email, name: null, provider: 'github', providerAccountId: randomBytes(6).toString('hex'), emailVerified });

const linkedAccounts = (userId: string) => getDb().account.count({ where: { userId } });

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('OAuth sign-in', () => {
  it('links a sign-in to an existing account only when the provider verified the e-mail', async () => {
    const u = await createTestUser();
    const refused = await signIn(u.email, false).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LatheError);
    expect((refused as LatheError).details.reason).toBe('oauth_email_unverified');
    expect(await linkedAccounts(u.user.id)).toBe(0);

    expect((await signIn(u.email, true)).id).toBe(u.user.id);
    expect(await linkedAccounts(u.user.id)).toBe(1);
  });

  it('creates no account from an address the provider has not verified', async () => {
    const email = `oauth-${randomBytes(4).toString('hex')}@example.test`;
    await expect(signIn(email, false)).rejects.toThrow(/has not verified/);
    expect(await getDb().user.findUnique({ where: { email } })).toBeNull();
    const created = await signIn(email, true);
    expect(created.emailVerified).toBeInstanceOf(Date);
  });

  it('does not link to an account that has not verified its own e-mail while verification is on', async () => {
    vi.stubEnv('EMAIL_VERIFICATION', 'on');
    const u = await createTestUser();
    const refused = await signIn(u.email, true).catch((e: unknown) => e);
    expect((refused as LatheError).details.reason).toBe('email_unverified');
    expect(await linkedAccounts(u.user.id)).toBe(0);

    await getDb().user.update({ where: { id: u.user.id }, data: { emailVerified: new Date() } });
    expect((await signIn(u.email, true)).id).toBe(u.user.id);
  });

  it("never links to or creates the built-in administrator's address", async () => {
    const refused = await signIn('admin@lathe.local', true).catch((e: unknown) => e);
    expect((refused as LatheError).details.reason).toBe('reserved_email');
    expect(await getDb().account.count({ where: { user: { email: 'admin@lathe.local' } } })).toBe(0);
  });
});
