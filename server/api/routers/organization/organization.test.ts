import { describe, expect, it } from 'vitest';
import { callerFor, createTestUser } from '@/tests/helpers/factories';
import { readOutbox } from '@/server/services/mail/send-mail';

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
