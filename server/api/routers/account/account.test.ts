import { afterEach, describe, expect, it, vi } from 'vitest';
import { TRPCError } from '@trpc/server';
import { getDb } from '@/server/db';
import { callerFor, createTestUser, TEST_PASSWORD } from '@/tests/helpers/factories';
import { authenticateUser } from '@/server/services/users/authenticate-user';
import { readOutbox } from '@/server/services/mail/send-mail';
import { emailVerificationRequired } from '@/server/services/auth/email-verification';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('accounts', () => {
  it('sign-up creates the user, a personal organization they own and a default project', async () => {
    const email = `new-${Date.now()}@example.test`;
    const res = await callerFor(null).auth.signUp({ email: ` ${email.toUpperCase()} `, password: 'a-Good-passphrase-7', name: 'Ada' });
    expect(res.email).toBe(email);
    const memberships = await getDb().membership.findMany({ where: { userId: res.id }, include: { organization: { include: { projects: true } } } });
    expect(memberships).toHaveLength(1);
    expect(memberships[0]!.role).toBe('OWNER');
    expect(memberships[0]!.organization.personal).toBe(true);
    expect(memberships[0]!.organization.projects.map((p) => p.slug)).toEqual(['default']);
    const stored = await getDb().user.findUniqueOrThrow({ where: { id: res.id }, select: { passwordHash: true } });
    expect(stored.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it('refuses a duplicate e-mail and a weak password with field-level errors', async () => {
    const existing = await createTestUser();
    const dup = await callerFor(null).auth.signUp({ email: existing.email, password: 'another-Good-pass-1' }).catch((e) => e);
    expect(dup).toBeInstanceOf(TRPCError);
    expect(dup.code).toBe('CONFLICT');
    expect(dup.message).toMatch(/already exists/);
    const weak = await callerFor(null).auth.signUp({ email: `w-${Date.now()}@example.test`, password: 'short' }).catch((e) => e);
    expect(weak.code).toBe('BAD_REQUEST');
    expect(weak.message).toMatch(/at least 10 characters/);
  });

  it('changes the password only with the current one', async () => {
    const u = await createTestUser();
    const caller = callerFor(u);
    await expect(caller.account.changePassword({ currentPassword: 'wrong-password-1', newPassword: 'next-Good-pass-22' })).rejects.toThrow(/current password/);
    await caller.account.changePassword({ currentPassword: TEST_PASSWORD, newPassword: 'next-Good-pass-22' });
    expect(await authenticateUser({ db: getDb(), email: u.email, password: TEST_PASSWORD })).toBeNull();
    expect(await authenticateUser({ db: getDb(), email: u.email, password: 'next-Good-pass-22' })).not.toBeNull();
  });

  it('resets a password through the mailed single-use link', async () => {
    const u = await createTestUser();
    await callerFor(null).auth.requestPasswordReset({ email: u.email });
    const mail = readOutbox(u.email)[0];
    expect(mail?.subject).toMatch(/Reset your Lathe password/);
    const token = /reset-password\/([\w-]+)/.exec(mail!.text)![1]!;
    await callerFor(null).auth.resetPassword({ token, password: 'reset-Good-pass-33' });
    expect(await authenticateUser({ db: getDb(), email: u.email, password: 'reset-Good-pass-33' })).not.toBeNull();
    await expect(callerFor(null).auth.resetPassword({ token, password: 'again-Good-pass-44' })).rejects.toThrow(/invalid|already used/);
  });

  it('deletes the account with its personal organization', async () => {
    const u = await createTestUser();
    const res = await callerFor(u).account.deleteAccount({ confirmEmail: u.email });
    expect(res.deleted).toBe(true);
    expect(await getDb().user.findUnique({ where: { id: u.user.id } })).toBeNull();
    expect(await getDb().organization.findUnique({ where: { id: u.organization.id } })).toBeNull();
  });

  it("refuses to sign up with the built-in administrator's address", async () => {
    // Other files of the run may have created the real administrator by then: sign-up must change nothing either way.
    const before = await getDb().user.findUnique({ where: { email: 'admin@lathe.local' } });
    for (const email of ['admin@lathe.local', ' Admin@Lathe.LOCAL ']) {
      const error = await callerFor(null).auth.signUp({ email, password: 'a-Good-passphrase-7' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe('BAD_REQUEST');
      expect((error as TRPCError).message).toMatch(/reserved/);
    }
    expect(await getDb().user.findUnique({ where: { email: 'admin@lathe.local' } })).toEqual(before);
  });

  it('with verification on, sign-up mails a link that verifies the address once', async () => {
    vi.stubEnv('EMAIL_VERIFICATION', 'on');
    const email = `verify-${Date.now()}@example.test`;
    const { id } = await callerFor(null).auth.signUp({ email, password: 'a-Good-passphrase-7' });
    expect((await getDb().user.findUniqueOrThrow({ where: { id } })).emailVerified).toBeNull();
    const mail = readOutbox(email)[0];
    expect(mail?.subject).toMatch(/Verify your e-mail/);
    const token = /verify-email\/([\w-]+)/.exec(mail!.text)![1]!;
    await callerFor(null).auth.verifyEmail({ token });
    expect((await getDb().user.findUniqueOrThrow({ where: { id } })).emailVerified).toBeInstanceOf(Date);
    const again = await callerFor(null).auth.verifyEmail({ token }).catch((e: unknown) => e);
    expect((again as TRPCError).code).toBe('BAD_REQUEST');
  });

  it('e-mail verification is on when SMTP_URL is set, unless switched off', () => {
    expect(emailVerificationRequired({})).toBe(false);
    expect(emailVerificationRequired({ SMTP_URL: 'smtp://mail.example.test:25' })).toBe(true);
    expect(emailVerificationRequired({ SMTP_URL: 'smtp://mail.example.test:25', EMAIL_VERIFICATION: 'off' })).toBe(false);
    expect(emailVerificationRequired({ EMAIL_VERIFICATION: 'on' })).toBe(true);
  });
});
