import type { MemberRole } from '@/server/generated/prisma/client';
import type { TenantDb } from '@/server/db/tenant';
import { LatheError, notFound } from '@/server/services/errors';
import { recordAudit } from '@/server/services/audit/record-audit';

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

async function assertNotLastOwner(db: TenantDb, membershipId: string) {
  const membership = await db.membership.findUnique({ where: { id: membershipId } });
  if (!membership) throw notFound('Member');
  if (membership.role === 'OWNER' && (await db.membership.count({ where: { role: 'OWNER' } })) === 1) {
    throw new LatheError('PRECONDITION_FAILED', 'An organization needs at least one owner.');
  }
  return membership;
}

export async function changeMemberRole(opts: { db: TenantDb; organizationId: string; actorUserId: string; membershipId: string; role: MemberRole }) {
  const membership = await assertNotLastOwner(opts.db, opts.membershipId);
  await opts.db.$transaction(async (tx) => {
    await tx.membership.update({ where: { id: membership.id }, data: { role: opts.role } });
    await recordAudit(tx, {
      organizationId: opts.organizationId,
      actor: { userId: opts.actorUserId },
      action: 'membership.role.change',
      targetType: 'Membership',
      targetId: membership.id,
      data: { from: membership.role, to: opts.role },
    });
  });
}

export async function removeMember(opts: { db: TenantDb; organizationId: string; actorUserId: string; membershipId: string }) {
  const membership = await assertNotLastOwner(opts.db, opts.membershipId);
  await opts.db.$transaction(async (tx) => {
    await tx.membership.delete({ where: { id: membership.id } });
    await recordAudit(tx, {
      organizationId: opts.organizationId,
      actor: { userId: opts.actorUserId },
      action: 'membership.remove',
      targetType: 'Membership',
      targetId: membership.id,
      data: { userId: membership.userId },
    });
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
