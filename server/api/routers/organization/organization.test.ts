import { afterEach, describe, expect, it, vi } from 'vitest';
import { TRPCError } from '@trpc/server';
import { getDb } from '@/server/db';
import { callerFor, createTestUser, joinOrganization } from '@/tests/helpers/factories';
import { readOutbox } from '@/server/services/mail/send-mail';
import { authenticateApiKey } from '@/server/services/api-keys/api-keys';

describe('organizations', () => {
  it('invites a member by e-mail, who accepts and can then switch to the organization', async () => {
    const owner = await createTestUser();
    const invitee = await createTestUser();
    await callerFor(owner).organization.invite({ email: invitee.email, role: 'ADMIN' });
    const mail = readOutbox(invitee.email)[0]!;
    const token = /invite\/([\w-]+)/.exec(mail.text)![1]!;

    const stranger = await createTestUser();
    await expect(callerFor(stranger).auth.acceptInvitation({ token })).rejects.toThrow(/sign in with that address/);

    await callerFor(invitee).auth.acceptInvitation({ token });
    const { members } = await callerFor(owner).organization.members();
    expect(members.map((m) => [m.email, m.role])).toContainEqual([invitee.email, 'ADMIN']);
    const current = await callerFor(invitee).organization.current();
    expect(current.projects.map((p) => p.id)).toContain(owner.project.id);
  });

  it('lets only owners and admins invite, and keeps at least one owner', async () => {
    const owner = await createTestUser();
    const member = await createTestUser();
    await callerFor(owner).organization.invite({ email: member.email, role: 'MEMBER' });
    const token = /invite\/([\w-]+)/.exec(readOutbox(member.email)[0]!.text)![1]!;
    await callerFor(member).auth.acceptInvitation({ token });
    const asMember = callerFor(member, { requestedProjectId: owner.project.id });
    await expect(asMember.organization.invite({ email: 'x@example.test', role: 'MEMBER' })).rejects.toThrow(/Only owners and admins/);
    const { members } = await callerFor(owner).organization.members();
    const ownerMembership = members.find((m) => m.email === owner.email)!;
    await expect(callerFor(owner).organization.removeMember({ membershipId: ownerMembership.id })).rejects.toThrow(/at least one owner/);
  });
});

describe('invitations and e-mail verification', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('an account that has not verified its e-mail cannot accept an invitation while verification is on', async () => {
    vi.stubEnv('EMAIL_VERIFICATION', 'on');
    const owner = await createTestUser();
    const invitee = await createTestUser();
    await callerFor(owner).organization.invite({ email: invitee.email, role: 'MEMBER' });
    const token = /invite\/([\w-]+)/.exec(readOutbox(invitee.email)[0]!.text)![1]!;

    const error = await callerFor(invitee).auth.acceptInvitation({ token }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('FORBIDDEN');
    expect((error as TRPCError).message).toMatch(/verify/i);
    expect(await getDb().membership.count({ where: { userId: invitee.user.id, organizationId: owner.organization.id } })).toBe(0);

    await getDb().user.update({ where: { id: invitee.user.id }, data: { emailVerified: new Date() } });
    await callerFor(invitee).auth.acceptInvitation({ token });
    expect(await getDb().membership.count({ where: { userId: invitee.user.id, organizationId: owner.organization.id } })).toBe(1);
  });
});

describe('member removal and ownership', () => {
  it('removing a member revokes every API key they created in that organization', async () => {
    const owner = await createTestUser();
    const member = await createTestUser();
    const membershipId = await joinOrganization(owner, member, 'ADMIN');
    const second = await callerFor(owner).project.create({ name: 'Second' });
    const asMember = (projectId: string) => callerFor(member, { requestedProjectId: projectId, projectExplicit: true });
    const inDefault = await asMember(owner.project.id).apiKey.create({ name: 'default-project' });
    const inSecond = await asMember(second.id).apiKey.create({ name: 'second-project' });
    const ownersKey = await callerFor(owner).apiKey.create({ name: 'owner' });
    const personal = await callerFor(member).apiKey.create({ name: 'personal' });

    await callerFor(owner).organization.removeMember({ membershipId });

    expect(await authenticateApiKey({ db: getDb(), secret: inDefault.key })).toBeNull();
    expect(await authenticateApiKey({ db: getDb(), secret: inSecond.key })).toBeNull();
    expect(await authenticateApiKey({ db: getDb(), secret: ownersKey.key })).not.toBeNull();
    expect(await authenticateApiKey({ db: getDb(), secret: personal.key })).not.toBeNull();
  });

  it('only owners grant or revoke OWNER', async () => {
    const owner = await createTestUser();
    const admin = await createTestUser();
    const adminMembershipId = await joinOrganization(owner, admin, 'ADMIN');
    const asAdmin = callerFor(admin, { requestedProjectId: owner.project.id, projectExplicit: true });
    const ownerMembership = await getDb().membership.findFirstOrThrow({ where: { userId: owner.user.id, organizationId: owner.organization.id } });

    for (const attempt of [
      () => asAdmin.organization.changeRole({ membershipId: adminMembershipId, role: 'OWNER' }),
      () => asAdmin.organization.changeRole({ membershipId: ownerMembership.id, role: 'MEMBER' }),
      () => asAdmin.organization.removeMember({ membershipId: ownerMembership.id }),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe('FORBIDDEN');
    }
    const roles = await getDb().membership.findMany({ where: { organizationId: owner.organization.id }, select: { userId: true, role: true } });
    expect(roles).toContainEqual({ userId: owner.user.id, role: 'OWNER' });
    expect(roles).toContainEqual({ userId: admin.user.id, role: 'ADMIN' });

    await callerFor(owner).organization.changeRole({ membershipId: adminMembershipId, role: 'OWNER' });
    expect((await getDb().membership.findUniqueOrThrow({ where: { id: adminMembershipId } })).role).toBe('OWNER');
  });

  it('two concurrent demotions of the last two owners leave one owner', async () => {
    const first = await createTestUser();
    const second = await createTestUser();
    const secondMembershipId = await joinOrganization(first, second, 'ADMIN');
    await callerFor(first).organization.changeRole({ membershipId: secondMembershipId, role: 'OWNER' });
    const firstMembershipId = (await getDb().membership.findFirstOrThrow({ where: { userId: first.user.id, organizationId: first.organization.id } })).id;
    const asSecond = callerFor(second, { requestedProjectId: first.project.id, projectExplicit: true });

    // Both demotions pass any check made before their writes while this transaction holds the
    // owners' rows; it lets go only once both are stuck behind it (or behind each other).
    const { demotions } = await getDb().$transaction(
      async (tx) => {
        const [holder] = await tx.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
        await tx.$queryRaw`SELECT id FROM "Membership" WHERE "organizationId" = ${first.organization.id} FOR UPDATE`;
        const demotions = Promise.allSettled([
          callerFor(first).organization.changeRole({ membershipId: secondMembershipId, role: 'ADMIN' }),
          asSecond.organization.changeRole({ membershipId: firstMembershipId, role: 'ADMIN' }),
        ]);
        await waitForBlocked(holder!.pid, 2);
        return { demotions };
      },
      { timeout: 60_000 },
    );
    const results = await demotions;

    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await getDb().membership.count({ where: { organizationId: first.organization.id, role: 'OWNER' } })).toBe(1);
  });
});

/** Waits until `count` backends wait, directly or through one another, on the backend `pid`. */
async function waitForBlocked(pid: number, count: number) {
  for (;;) {
    const [row] = await getDb().$queryRaw<{ n: bigint }[]>`
      WITH RECURSIVE blocked(pid) AS (
        SELECT a.pid FROM pg_stat_activity a WHERE ${pid}::int = ANY(pg_blocking_pids(a.pid))
        UNION
        SELECT a.pid FROM pg_stat_activity a JOIN blocked b ON b.pid = ANY(pg_blocking_pids(a.pid))
      ) SELECT count(*) AS n FROM blocked`;
    if (Number(row!.n) >= count) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
