import { z } from 'zod';
import { orgAdminProcedure, projectProcedure, router } from '@/server/api/trpc';
import { firstRunChecklist } from '@/server/services/onboarding/checklist';
import { createProject } from '@/server/services/projects/manage-projects';

export const projectRouter = router({
  /** The first-run checklist: which first steps this project has taken. */
  checklist: projectProcedure.query(({ ctx }) => firstRunChecklist({ tenant: ctx.tenant })),
  list: projectProcedure.query(({ ctx }) => ctx.tenant.db.project.findMany({ select: { id: true, name: true, slug: true, createdAt: true }, orderBy: { createdAt: 'asc' } })),
  create: orgAdminProcedure.input(z.object({ name: z.string().trim().min(1).max(100) })).mutation(({ ctx, input }) =>
    createProject({ db: ctx.tenant.db, organizationId: ctx.tenant.scope.organizationId, actorUserId: ctx.session.userId, name: input.name }),
  ),
});
