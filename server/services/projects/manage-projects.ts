import { isUniqueViolation } from '@/server/db/errors';
import type { TenantDb } from '@/server/db/tenant';
import { LatheError } from '@/server/services/errors';
import { recordAudit } from '@/server/services/audit/record-audit';
import { slugify } from '@/server/services/orgs/slug';

export async function createProject({ db, organizationId, actorUserId, name }: { db: TenantDb; organizationId: string; actorUserId: string; name: string }) {
  const trimmed = name.trim();
  if (!trimmed) throw new LatheError('BAD_REQUEST', 'Give the project a name.', { param: 'name' });
  try {
    return await db.$transaction(async (tx) => {
      const project = await tx.project.create({ data: { organizationId, name: trimmed, slug: slugify(trimmed, 'project') } });
      await recordAudit(tx, { organizationId, actor: { userId: actorUserId }, action: 'project.create', targetType: 'Project', targetId: project.id, data: { name: trimmed } });
      return project;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new LatheError('CONFLICT', 'A project with this name already exists.', { param: 'name' });
    }
    throw error;
  }
}
