// A user's stored language: set through the account router, shown by `me`, and used by mails.
import { describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { callerFor, createTestUser } from '@/tests/helpers/factories';
import { readOutbox } from '@/server/services/mail/send-mail';

describe('user language', () => {
  it('is stored, returned by me, audited, and cleared with null', async () => {
    const u = await createTestUser();
    const caller = callerFor(u);
    expect((await caller.account.me()).locale).toBeNull();
    await caller.account.setLocale({ locale: 'pl' });
    expect((await caller.account.me()).locale).toBe('pl');
    const audit = await getDb().auditLogEntry.findFirst({ where: { targetId: u.user.id, action: 'user.update' }, orderBy: { createdAt: 'desc' } });
    expect(audit?.data).toMatchObject({ locale: 'pl' });
    await caller.account.setLocale({ locale: null });
    expect((await caller.account.me()).locale).toBeNull();
  });

  it('refuses a language Lathe does not speak, and keeps the stored one', async () => {
    const u = await createTestUser();
    await callerFor(u).account.setLocale({ locale: 'fr' });
    await expect(callerFor(u).account.setLocale({ locale: 'xx' as 'fr' })).rejects.toThrow();
    expect((await callerFor(u).account.me()).locale).toBe('fr');
  });

  it('writes the password-reset mail in the stored language, and in English without one', async () => {
    const german = await createTestUser();
    await callerFor(german).account.setLocale({ locale: 'de' });
    await callerFor(null).auth.requestPasswordReset({ email: german.email });
    const mail = readOutbox(german.email)[0]!;
    expect(mail.subject).toBe('Setzen Sie Ihr Lathe-Passwort zurück');
    expect(mail.text).toMatch(/innerhalb einer Stunde[\s\S]*\/reset-password\/[\w-]+/);

    const japanese = await createTestUser();
    await callerFor(japanese).account.setLocale({ locale: 'ja' });
    await callerFor(null).auth.requestPasswordReset({ email: japanese.email });
    expect(readOutbox(japanese.email)[0]!.subject).toBe('Lathe のパスワードを再設定してください');

    const plain = await createTestUser();
    await callerFor(null).auth.requestPasswordReset({ email: plain.email });
    expect(readOutbox(plain.email)[0]!.subject).toBe('Reset your Lathe password');
  });

  it("writes an invitation in the invitee's language, or the inviter's when the address has no account", async () => {
    const owner = await createTestUser();
    await callerFor(owner).account.setLocale({ locale: 'es' });
    const invitee = await createTestUser();
    await callerFor(invitee).account.setLocale({ locale: 'fr' });
    await callerFor(owner).organization.invite({ email: invitee.email, role: 'MEMBER' });
    const french = readOutbox(invitee.email)[0]!;
    expect(french.subject).toMatch(/^Vous êtes invité à rejoindre .+ sur Lathe$/);
    expect(french.text).toContain('en tant que membre');

    const stranger = `nobody-${Date.now()}@example.test`;
    await callerFor(owner).organization.invite({ email: stranger, role: 'ADMIN' });
    const spanish = readOutbox(stranger)[0]!;
    expect(spanish.subject).toMatch(/^Te han invitado a .+ en Lathe$/);
    expect(spanish.text).toMatch(/como administrador\.[\s\S]*\/invite\/[\w-]+/);
  });
});
