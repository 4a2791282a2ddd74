import type { Db } from '@/server/db';
import type { MemberRole } from '@/server/generated/prisma/client';
import { LatheError } from '@/server/services/errors';
import { newSecret, sha256Hex } from '@/server/services/auth/tokens';
import { recordAudit } from '@/server/services/audit/record-audit';
import { sendMail, smtpConfigured } from '@/server/services/mail/send-mail';
import { mailTranslator } from '@/server/services/mail/mail-messages';
import { normalizeEmail } from '@/server/services/auth/email';
import type { TenantDb } from '@/server/db/tenant';
import { emailVerificationRequired } from '@/server/services/auth/email-verification';

const TTL_MS = 7 * 24 * 60 * 60 * 1000;

export type InviteMemberOptions = {
  db: TenantDb;
  organizationId: string;
  actorUserId: string;
  email: string;
  role: MemberRole;
  baseUrl: string;
};

export async function inviteMember({ db, organizationId, actorUserId, email, role, baseUrl }: InviteMemberOptions) {
  const normalized = normalizeEmail(email);
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(normalized)) {
    throw new LatheError('BAD_REQUEST', 'Enter a valid e-mail address.', { param: 'email' });
  }
  if (role === 'OWNER') throw new LatheError('BAD_REQUEST', 'Invite as admin or member; ownership is transferred later.', { param: 'role' });
  const existing = await db.membership.findFirst({ where: { user: { email: normalized } } });
  if (existing) throw new LatheError('CONFLICT', `${normalized} is already a member.`, { param: 'email' });
  const { token, tokenHash } = newSecret();
  const org = await db.organization.findUniqueOrThrow({ where: { id: organizationId }, select: { name: true } });
  const invitation = await db.$transaction(async (tx) => {
    await tx.invitation.updateMany({ where: { email: normalized, acceptedAt: null, revokedAt: null }, data: { revokedAt: new Date() } });
    const created = await tx.invitation.create({
      data: { organizationId, email: normalized, role, tokenHash, invitedById: actorUserId, expiresAt: new Date(Date.now() + TTL_MS) },
    });
    await recordAudit(tx, {
      organizationId,
      actor: { userId: actorUserId },
      action: 'membership.invite',
      targetType: 'Invitation',
      targetId: created.id,
      data: { email: normalized, role },
    });
    return created;
  });
  // In the invitee's language when they have an account, else in the inviter's.
  const [invitee, inviter] = await Promise.all([
    db.user.findUnique({ where: { email: normalized }, select: { locale: true } }),
    db.user.findUnique({ where: { id: actorUserId }, select: { locale: true } }),
  ]);
  const t = await mailTranslator(invitee?.locale ?? inviter?.locale);
  const roleKey = ({ OWNER: 'owner', ADMIN: 'admin', MEMBER: 'member' } as const)[role];
  await sendMail({
    to: normalized,
    subject: t('invite.subject', { organization: org.name }),
    text: t('invite.body', { organization: org.name, role: t(`invite.roles.${roleKey}`), link: `${baseUrl}/invite/${token}` }),
  });
  // Without SMTP the mail only reaches the outbox: the inviter gets the link to pass on themselves.
  const link = smtpConfigured() ? null : `${baseUrl}/invite/${token}`;
  return { id: invitation.id, email: invitation.email, role: invitation.role, expiresAt: invitation.expiresAt, link };
}

/**
 * Accepting needs the signed-in user's e-mail to be the invited one, and verified where
 * verification is on: else whoever signed up first with an address would join in its owner's place.
 */
export async function acceptInvitation({ db, token, userId }: { db: Db; token: string; userId: string }) {
  const invitation = await db.invitation.findUnique({ where: { tokenHash: sha256Hex(token) } });
  if (!invitation || invitation.acceptedAt || invitation.revokedAt || invitation.expiresAt < new Date()) {
    throw new LatheError('NOT_FOUND', 'This invitation is invalid, was revoked or has expired.');
  }
  const user = await db.user.findUniqueOrThrow({ where: { id: userId }, select: { email: true, emailVerified: true } });
  if (user.email !== invitation.email) {
    throw new LatheError('FORBIDDEN', `This invitation is for ${invitation.email}; sign in with that address to accept it.`);
  }
  if (!user.emailVerified && emailVerificationRequired()) {
    throw new LatheError('FORBIDDEN', `Verify ${user.email} first: open the link we mailed you (Settings → Profile sends a new one), then accept the invitation.`, {
      reason: 'email_unverified',
    });
  }
  return db.$transaction(async (tx) => {
    await tx.invitation.update({ where: { id: invitation.id }, data: { acceptedAt: new Date() } });
    const membership = await tx.membership.upsert({
      where: { userId_organizationId: { userId, organizationId: invitation.organizationId } },
      create: { userId, organizationId: invitation.organizationId, role: invitation.role },
      update: {},
    });
    await recordAudit(tx, {
      organizationId: invitation.organizationId,
      actor: { userId },
      action: 'membership.accept',
      targetType: 'Membership',
      targetId: membership.id,
      data: { role: membership.role },
    });
    return { organizationId: invitation.organizationId };
  });
}
