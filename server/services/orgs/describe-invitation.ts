// What the invitation page says before anyone accepts: which organization, who invited, for which
// address, and whether the link can still be used. The token is the only key: an unknown token
// learns nothing about any organization.
import type { Db } from '@/server/db';
import { sha256Hex } from '@/server/services/auth/tokens';

export type InvitationSummary =
  | { state: 'unknown' }
  | { state: 'pending' | 'expired' | 'accepted' | 'revoked'; organization: string; invitedBy: string | null; email: string; role: string; expiresAt: Date };

export async function describeInvitation({ db, token, now = new Date() }: { db: Db; token: string; now?: Date }): Promise<InvitationSummary> {
  if (token.length < 10 || token.length > 200) return { state: 'unknown' };
  const invitation = await db.invitation.findUnique({
    where: { tokenHash: sha256Hex(token) },
    select: { email: true, role: true, expiresAt: true, acceptedAt: true, revokedAt: true, organization: { select: { name: true } }, invitedBy: { select: { name: true, email: true } } },
  });
  if (!invitation) return { state: 'unknown' };
  const state = invitation.acceptedAt ? 'accepted' : invitation.revokedAt ? 'revoked' : invitation.expiresAt < now ? 'expired' : 'pending';
  const inviter = invitation.invitedBy ? (invitation.invitedBy.name ? `${invitation.invitedBy.name} (${invitation.invitedBy.email})` : invitation.invitedBy.email) : null;
  return { state, organization: invitation.organization.name, invitedBy: inviter, email: invitation.email, role: invitation.role.toLowerCase(), expiresAt: invitation.expiresAt };
}
