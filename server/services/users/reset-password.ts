import type { Db } from '@/server/db';
import { LatheError } from '@/server/services/errors';
import { assertStrongPassword, hashPassword } from '@/server/services/auth/password';
import { newSecret, sha256Hex } from '@/server/services/auth/tokens';
import { recordAudit } from '@/server/services/audit/record-audit';
import { endSessions, forgetSessionState } from '@/server/services/auth/session-state';
import { sendMail } from '@/server/services/mail/send-mail';
import { mailTranslator } from '@/server/services/mail/mail-messages';
import { normalizeEmail } from '@/server/services/auth/email';

const TTL_MS = 60 * 60 * 1000;

/** Mails a one-hour reset link. Says nothing about whether the e-mail has an account. */
export async function requestPasswordReset({ db, email, baseUrl }: { db: Db; email: string; baseUrl: string }) {
  const user = await db.user.findUnique({ where: { email: normalizeEmail(email) }, select: { id: true, email: true, locale: true } });
  if (!user) return;
  const { token, tokenHash } = newSecret();
  await db.passwordResetToken.create({ data: { userId: user.id, tokenHash, expiresAt: new Date(Date.now() + TTL_MS) } });
  const t = await mailTranslator(user.locale);
  await sendMail({ to: user.email, subject: t('reset.subject'), text: t('reset.body', { link: `${baseUrl}/reset-password/${token}` }) });
}

/**
 * Sets the new password, ends every session of the user and voids their other reset links. The
 * link proved the mailbox, so an address not yet verified is verified by it.
 */
export async function resetPassword({ db, token, newPassword }: { db: Db; token: string; newPassword: string }) {
  const tokenHash = sha256Hex(token);
  const reset = await db.passwordResetToken.findUnique({ where: { tokenHash }, include: { user: { select: { email: true } } } });
  if (!reset || reset.usedAt || reset.expiresAt < new Date()) {
    throw new LatheError('BAD_REQUEST', 'This reset link is invalid or has expired. Ask for a new one.', { reason: 'invalid_token' });
  }
  assertStrongPassword(newPassword, reset.user.email);
  const passwordHash = await hashPassword(newPassword);
  await db.$transaction(async (tx) => {
    // Marking it used in the same conditional update makes a link single-use even under races.
    const { count } = await tx.passwordResetToken.updateMany({ where: { id: reset.id, usedAt: null }, data: { usedAt: new Date() } });
    if (count !== 1) throw new LatheError('BAD_REQUEST', 'This reset link was already used.', { reason: 'invalid_token' });
    await tx.passwordResetToken.updateMany({ where: { userId: reset.userId, usedAt: null }, data: { usedAt: new Date() } });
    await tx.user.update({ where: { id: reset.userId }, data: { passwordHash } });
    await tx.user.updateMany({ where: { id: reset.userId, emailVerified: null }, data: { emailVerified: new Date() } });
    await endSessions(tx, reset.userId);
    await recordAudit(tx, { actor: { userId: reset.userId }, action: 'user.password.reset', targetType: 'User', targetId: reset.userId });
  });
  forgetSessionState(reset.userId);
}
