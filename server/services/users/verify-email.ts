import type { Db } from '@/server/db';
import { LatheError } from '@/server/services/errors';
import { newSecret, sha256Hex } from '@/server/services/auth/tokens';
import { recordAudit } from '@/server/services/audit/record-audit';
import { sendMail } from '@/server/services/mail/send-mail';
import { mailTranslator } from '@/server/services/mail/mail-messages';

const TTL_MS = 24 * 60 * 60 * 1000;
const IDENTIFIER_PREFIX = 'verify-email:';

const invalidLink = () => new LatheError('BAD_REQUEST', 'This verification link is invalid, used or expired. Send a new one from Settings → Profile.', { reason: 'invalid_token' });

/** Mails a 24-hour link that verifies the user's address; nothing when it is verified already. */
export async function requestEmailVerification({ db, userId, baseUrl }: { db: Db; userId: string; baseUrl: string }) {
  const user = await db.user.findUniqueOrThrow({ where: { id: userId }, select: { email: true, emailVerified: true, locale: true } });
  if (user.emailVerified) return { sent: false };
  const { token, tokenHash } = newSecret();
  await db.verificationToken.create({ data: { identifier: IDENTIFIER_PREFIX + userId, token: tokenHash, expires: new Date(Date.now() + TTL_MS) } });
  const t = await mailTranslator(user.locale);
  await sendMail({ to: user.email, subject: t('verify.subject'), text: t('verify.body', { link: `${baseUrl}/verify-email/${token}` }) });
  return { sent: true };
}

/** Marks the address of the link's user verified; each link works once. */
export async function verifyEmail({ db, token }: { db: Db; token: string }) {
  const tokenHash = sha256Hex(token);
  await db.$transaction(async (tx) => {
    const link = await tx.verificationToken.findUnique({ where: { token: tokenHash } });
    if (!link || link.expires < new Date() || !link.identifier.startsWith(IDENTIFIER_PREFIX)) throw invalidLink();
    const userId = link.identifier.slice(IDENTIFIER_PREFIX.length);
    // The delete that counts its row makes a link single-use even when it is opened twice at once.
    const { count } = await tx.verificationToken.deleteMany({ where: { token: tokenHash } });
    if (count !== 1) throw invalidLink();
    await tx.verificationToken.deleteMany({ where: { identifier: link.identifier } });
    const verified = await tx.user.updateMany({ where: { id: userId }, data: { emailVerified: new Date() } });
    if (verified.count !== 1) throw invalidLink();
    await recordAudit(tx, { actor: { userId }, action: 'user.email.verify', targetType: 'User', targetId: userId });
  });
}
