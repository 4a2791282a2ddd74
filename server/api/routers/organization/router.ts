import { z } from 'zod';
import { orgAdminProcedure, projectProcedure, router } from '@/server/api/trpc';
import { inviteMember } from '@/server/services/orgs/invite-member';
import { changeMemberRole, listMembers, removeMember, revokeInvitation } from '@/server/services/orgs/manage-members';
import { recordAudit } from '@/server/services/audit/record-audit';
import { deleteHubToken, getHubTokenStatus, setHubToken } from '@/server/services/orgs/hub-token';
import { getOrganizationQuotas } from '@/server/services/quotas/manage-quotas';

const ZRole = z.enum(['OWNER', 'ADMIN', 'MEMBER']);

/** The organization's Hugging Face token: whether one is stored (never the token itself), set and removed by owners and admins. */
const hubTokenRouter = router({
  get: projectProcedure.query(({ ctx }) => getHubTokenStatus({ tenant: ctx.tenant })),
  set: orgAdminProcedure.input(z.object({ token: z.string().max(300) })).mutation(({ ctx, input }) => setHubToken({ tenant: ctx.tenant, token: input.token })),
  delete: orgAdminProcedure.mutation(({ ctx }) => deleteHubToken({ tenant: ctx.tenant })),
});

export const organizationRouter = router({
  hubToken: hubTokenRouter,
  /** The organization's limits (set by platform administrators) and how much of each it uses. */
  quotas: projectProcedure.query(({ ctx }) => getOrganizationQuotas({ db: ctx.tenant.db, organizationId: ctx.tenant.scope.organizationId })),
  /** The caller's organization and project, and every project they can switch to. */
  current: projectProcedure.query(async ({ ctx }) => {
    const { organizationId, projectId } = ctx.tenant.scope;
    const organization = await ctx.tenant.db.organization.findUniqueOrThrow({ where: { id: organizationId }, select: { id: true, name: true, slug: true, personal: true } });
    const switchable = ctx.userId && !ctx.apiKey
      ? await ctx.db.project.findMany({
          where: { organization: { memberships: { some: { userId: ctx.userId } } } },
          select: { id: true, name: true, organization: { select: { id: true, name: true } } },
          orderBy: [{ organization: { createdAt: 'asc' } }, { createdAt: 'asc' }],
        })
      : [];
    return {
      organization,
      projectId,
      role: ctx.role,
      projects: switchable.map((p) => ({ id: p.id, name: p.name, orgId: p.organization.id, orgName: p.organization.name })),
    };
  }),
  rename: orgAdminProcedure.input(z.object({ name: z.string().trim().min(1).max(100) })).mutation(async ({ ctx, input }) => {
    return ctx.tenant.db.$transaction(async (tx) => {
      const org = await tx.organization.update({ where: { id: ctx.tenant.scope.organizationId }, data: { name: input.name }, select: { id: true, name: true } });
      await recordAudit(tx, { organizationId: org.id, actor: ctx.tenant.actor, action: 'organization.rename', targetType: 'Organization', targetId: org.id, data: { name: input.name } });
      return org;
    });
  }),
  members: projectProcedure.query(({ ctx }) => listMembers({ db: ctx.tenant.db })),
  invite: orgAdminProcedure
    .input(z.object({ email: z.string().trim().max(320), role: ZRole.exclude(['OWNER']).default('MEMBER') }))
    .mutation(({ ctx, input }) =>
      inviteMember({ db: ctx.tenant.db, organizationId: ctx.tenant.scope.organizationId, actorUserId: ctx.session.userId, email: input.email, role: input.role, baseUrl: ctx.baseUrl }),
    ),
  changeRole: orgAdminProcedure.input(z.object({ membershipId: z.string(), role: ZRole })).mutation(async ({ ctx, input }) => {
    await changeMemberRole({ db: ctx.tenant.db, organizationId: ctx.tenant.scope.organizationId, actorUserId: ctx.session.userId, ...input });
    return { ok: true };
  }),
  removeMember: orgAdminProcedure.input(z.object({ membershipId: z.string() })).mutation(async ({ ctx, input }) => {
    await removeMember({ db: ctx.tenant.db, organizationId: ctx.tenant.scope.organizationId, actorUserId: ctx.session.userId, ...input });
    return { ok: true };
  }),
  revokeInvitation: orgAdminProcedure.input(z.object({ invitationId: z.string() })).mutation(async ({ ctx, input }) => {
    await revokeInvitation({ db: ctx.tenant.db, organizationId: ctx.tenant.scope.organizationId, actorUserId: ctx.session.userId, ...input });
    return { ok: true };
  }),
});
