import { describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { encodeSession, readSession } from '@/server/auth/session';
import { createContext } from '@/server/api/trpc';
import { createCaller } from '@/server/api/root';
import { callerFor, createTestUser, joinOrganization, TEST_PASSWORD, type TestUser } from '@/tests/helpers/factories';
import { readOutbox } from '@/server/services/mail/send-mail';

const secret = () => process.env.AUTH_SECRET!;

/** A session cookie as sign-in issues it, stamped with the user's current session version. */
async function signedIn(u: TestUser) {
  const { sessionVersion } = await getDb().user.findUniqueOrThrow({ where: { id: u.user.id }, select: { sessionVersion: true } });
  const token = await encodeSession({ userId: u.user.id, email: u.email, role: u.user.role, name: u.user.name }, secret(), sessionVersion);
  return `next-auth.session-token=${token}`;
}

function resetLink(email: string, nth = 0) {
  return /reset-password\/([\w-]+)/.exec(readOutbox(email)[nth]!.text)![1]!;
}

describe('sessions end when what they stood for changes', () => {
  it('changing the password ends the other sessions and keeps the current one', async () => {
    const u = await createTestUser();
    const current = await signedIn(u);
    const other = await signedIn(u);
    const resHeaders = new Headers();
    const ctx = await createContext({ headers: new Headers({ cookie: current }), baseUrl: 'http://lathe.test', resHeaders });
    await createCaller(ctx).account.changePassword({ currentPassword: TEST_PASSWORD, newPassword: 'next-Good-pass-22' });

    expect(await readSession(other, secret())).toBeNull();
    expect(await readSession(current, secret())).toBeNull();
    const renewed = resHeaders.get('set-cookie')!.split(';')[0]!;
    expect(renewed).toMatch(/^next-auth\.session-token=/);
    expect((await readSession(renewed, secret()))?.userId).toBe(u.user.id);
  });

  it('a password reset ends every session and voids the other reset links', async () => {
    const u = await createTestUser();
    const session = await signedIn(u);
    await callerFor(null).auth.requestPasswordReset({ email: u.email });
    await callerFor(null).auth.requestPasswordReset({ email: u.email });
    const [newest, older] = [resetLink(u.email, 0), resetLink(u.email, 1)];
    await callerFor(null).auth.resetPassword({ token: newest, password: 'reset-Good-pass-33' });

    expect(await readSession(session, secret())).toBeNull();
    await expect(callerFor(null).auth.resetPassword({ token: older, password: 'other-Good-pass-44' })).rejects.toThrow(/invalid|already used/);
  });

  it('deleting the account ends its sessions', async () => {
    const u = await createTestUser();
    const session = await signedIn(u);
    expect((await readSession(session, secret()))?.userId).toBe(u.user.id);
    await callerFor(u).account.deleteAccount({ confirmEmail: u.email });
    expect(await readSession(session, secret())).toBeNull();
  });

  it("a change of organization role ends the member's sessions", async () => {
    const owner = await createTestUser();
    const member = await createTestUser();
    const membershipId = await joinOrganization(owner, member, 'MEMBER');
    const session = await signedIn(member);
    expect(await readSession(session, secret())).not.toBeNull();
    await callerFor(owner).organization.changeRole({ membershipId, role: 'ADMIN' });
    expect(await readSession(session, secret())).toBeNull();
  });

  it('a session takes its platform role from the user row, not from the cookie', async () => {
    const u = await createTestUser();
    const token = await encodeSession({ userId: u.user.id, email: u.email, role: 'ADMIN', name: null }, secret(), 0);
    expect((await readSession(`next-auth.session-token=${token}`, secret()))?.role).toBe('USER');
  });
});
