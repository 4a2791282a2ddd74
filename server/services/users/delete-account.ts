import type { Db } from '@/server/db';
import { LatheError } from '@/server/services/errors';
import { recordAudit } from '@/server/services/audit/record-audit';
import { lockMemberships } from '@/server/services/orgs/manage-members';
import { forgetSessionState } from '@/server/services/auth/session-state';
import { fenceOrganizationJobs } from '@/server/services/training/job-transitions';

/**
 * Deletes a user and their personal organization with everything in it, its unfinished jobs
 * cancelled and fenced first. Refused while the user is the only owner of a shared organization,
 * which would otherwise be left without an owner.
 */
export async function deleteAccount({ db, userId }: { db: Db; userId: string }) {
  await db.$transaction(async (tx) => {
    const owned = await tx.membership.findMany({
      where: { userId, role: 'OWNER', organization: { personal: false } },
      select: { organizationId: true, organization: { select: { name: true } } },
    });
    for (const m of owned) {
      await lockMemberships(tx, m.organizationId);
      const owners = await tx.membership.count({ where: { organizationId: m.organizationId, role: 'OWNER' } });
      if (owners === 1) {
        throw new LatheError('PRECONDITION_FAILED', `You are the only owner of "${m.organization.name}". Make another member an owner or delete that organization first.`);
      }
    }
    const personal = await tx.organization.findMany({
      where: { personal: true, memberships: { some: { userId, role: 'OWNER' } } },
      select: { id: true },
    });
    let cancelledJobs = 0;
    for (const org of personal) {
      // Their runners notice the rows are gone at their next heartbeat and stop their trainers.
      cancelledJobs += await fenceOrganizationJobs(tx, org.id, new Date());
      await tx.fineTunedModel.deleteMany({ where: { organizationId: org.id } });
      await tx.trainingJob.deleteMany({ where: { organizationId: org.id } });
      await tx.baseModel.deleteMany({ where: { organizationId: org.id } });
      await tx.organization.delete({ where: { id: org.id } });
    }
    await tx.user.delete({ where: { id: userId } });
    await recordAudit(tx, {
      actor: { userId },
      action: 'user.delete',
      targetType: 'User',
      targetId: userId,
      data: { deletedOrganizations: personal.map((o) => o.id), cancelledJobs },
    });
  });
  forgetSessionState(userId);
}
