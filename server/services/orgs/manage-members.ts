import type { MemberRole } from '@/server/generated/prisma/client';
import type { TenantDb } from '@/server/db/tenant';
import { LatheError, notFound } from '@/server/services/errors';
import { recordAudit } from '@/server/services/audit/record-audit';
import { endSessions, forgetSessionState } from '@/server/services/auth/session-state';

export async function listMembers({ db }: { db: TenantDb }) {
  const [members, invitations] = await Promise.all([
    db.membership.findMany({ include: { user: { select: { id: true, email: true, name: true } } }, orderBy: { createdAt: 'asc' } }),
    db.invitation.findMany({ where: { acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } }, orderBy: { createdAt: 'desc' } }),
  ]);
  return {
    members: members.map((m) => ({ id: m.id, role: m.role, userId: m.user.id, email: m.user.email, name: m.user.name, createdAt: m.createdAt })),
    invitations: invitations.map((i) => ({ id: i.id, email: i.email, role: i.role, expiresAt: i.expiresAt })),
  };
}

type RawTx = { $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> };

/**
 * Holds the organization's row until the transaction ends, so that membership changes of one
 * organization run one after another and the last-owner check counts what the change will leave.
 */
export async function lockMemberships(tx: RawTx, organizationId: string) {
  await tx.$queryRawUnsafe('SELECT 1 FROM "Organization" WHERE id = $1 FOR UPDATE', organizationId);
}

type MembershipChange = { db: TenantDb; organizationId: string; actorUserId: string; membershipId: string };
type MembershipTx = Parameters<Parameters<TenantDb['$transaction']>[0]>[0];

/** The membership to change to `role` (null: to remove), once the change is allowed. */
async function allowedChange(tx: MembershipTx, opts: MembershipChange, role: MemberRole | null) {
  await lockMemberships(tx, opts.organizationId);
  const membership = await tx.membership.findUnique({ where: { id: opts.membershipId } });
  if (!membership) throw notFound('Member');
  if (membership.role === 'OWNER' || role === 'OWNER') {
    const actor = await tx.membership.findFirst({ where: { userId: opts.actorUserId }, select: { role: true } });
    if (actor?.role !== 'OWNER') {
      throw new LatheError('FORBIDDEN', 'Only an owner of this organization can grant or revoke ownership.', { reason: 'owner_only' });
    }
  }
  if (membership.role === 'OWNER' && role !== 'OWNER' && (await tx.membership.count({ where: { role: 'OWNER' } })) === 1) {
    throw new LatheError('PRECONDITION_FAILED', 'An organization needs at least one owner.');
  }
  return membership;
}

/** A change of role also ends the member's sessions, so nothing issued under the old role lingers. */
export async function changeMemberRole(opts: MembershipChange & { role: MemberRole }) {
  const changed = await opts.db.$transaction(async (tx) => {
    const membership = await allowedChange(tx, opts, opts.role);
    if (membership.role === opts.role) return null;
    await tx.membership.update({ where: { id: membership.id }, data: { role: opts.role } });
    await endSessions(tx, membership.userId);
    await recordAudit(tx, {
      organizationId: opts.organizationId,
      actor: { userId: opts.actorUserId },
      action: 'membership.role.change',
      targetType: 'Membership',
      targetId: membership.id,
      data: { from: membership.role, to: opts.role },
    });
    return membership.userId;
  });
  if (changed) forgetSessionState(changed);
}

/** Removes a member and revokes every API key they created in any project of the organization. */
export async function removeMember(opts: MembershipChange) {
  await opts.db.$transaction(async (tx) => {
    const membership = await allowedChange(tx, opts, null);
    await tx.membership.delete({ where: { id: membership.id } });
    await recordAudit(tx, {
      organizationId: opts.organizationId,
      actor: { userId: opts.actorUserId },
      action: 'membership.remove',
      targetType: 'Membership',
      targetId: membership.id,
      data: { userId: membership.userId },
    });
    // Raw, because the tenant client is scoped to one project and the member's keys span them all.
    const revoked = await tx.$queryRawUnsafe<{ id: string }[]>(
      'UPDATE "ApiKey" SET "revokedAt" = now() WHERE "organizationId" = $1 AND "createdById" = $2 AND "revokedAt" IS NULL RETURNING id',
      opts.organizationId,
      membership.userId,
    );
    for (const { id } of revoked) {
      await recordAudit(tx, {
        organizationId: opts.organizationId,
        actor: { userId: opts.actorUserId },
        action: 'api_key.revoke',
        targetType: 'ApiKey',
        targetId: id,
        data: { reason: 'member_removed' },
      });
    }
  });
}

export async function revokeInvitation(opts: { db: TenantDb; organizationId: string; actorUserId: string; invitationId: string }) {
  await opts.db.$transaction(async (tx) => {
    const { count } = await tx.invitation.updateMany({ where: { id: opts.invitationId, acceptedAt: null, revokedAt: null }, data: { revokedAt: new Date() } });
    if (count !== 1) throw notFound('Invitation');
    await recordAudit(tx, {
      organizationId: opts.organizationId,
      actor: { userId: opts.actorUserId },
      action: 'membership.invite.revoke',
      targetType: 'Invitation',
      targetId: opts.invitationId,
    });
  });
}
