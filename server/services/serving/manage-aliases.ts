// Aliases: a stable, project-scoped model name that points at a model version (a base model, a
// fine-tuned model or a checkpoint) and can be switched without touching the clients that use it.
import { isUniqueViolation } from '@/server/db/errors';
import type { TenantContext } from '@/server/db/tenant';
import { MODEL_NAME_PATTERN } from '@/lib/universal/openai/schema';
import { recordAudit } from '@/server/services/audit/record-audit';
import { LatheError, notFound } from '@/server/services/errors';
import { CHECKPOINT_NAME, resolveConcreteModel } from '@/server/services/serving/resolve-model';
import { z } from 'zod';

export const ZAliasName = z
  .string()
  .trim()
  .regex(MODEL_NAME_PATTERN, 'Use 1-200 letters, digits and . _ : / @ + - (starting with a letter or digit).')
  .refine((name) => !name.startsWith('ft:') && !name.startsWith('ft-job-') && !CHECKPOINT_NAME.test(name), 'Alias names cannot look like fine-tuned model or checkpoint names.');
export const ZAliasTarget = z.string().trim().min(1).max(300);

export type AliasSummary = { id: string; name: string; target: string; targetKind: 'base' | 'fine-tuned' | 'checkpoint' | null; createdAt: Date; updatedAt: Date };

async function assertTarget(tenant: TenantContext, target: string) {
  if (await tenant.db.modelAlias.findFirst({ where: { name: target }, select: { id: true } })) {
    throw new LatheError('BAD_REQUEST', 'An alias must point at a model, not at another alias.', { param: 'target', reason: 'alias_target_is_alias' });
  }
  const model = await resolveConcreteModel({ db: tenant.db, name: target });
  if (!model) throw new LatheError('BAD_REQUEST', `There is no ready model \`${target}\` in this project to point at.`, { param: 'target', reason: 'model_not_found' });
  return model;
}

async function assertFreeName(tenant: TenantContext, name: string) {
  if (await tenant.db.baseModel.findFirst({ where: { name }, select: { id: true } })) {
    throw new LatheError('CONFLICT', `A base model is named \`${name}\`; choose another alias name.`, { param: 'name', reason: 'name_taken' });
  }
}


export async function listAliases({ tenant }: { tenant: TenantContext }): Promise<AliasSummary[]> {
  const aliases = await tenant.db.modelAlias.findMany({ orderBy: { name: 'asc' } });
  return Promise.all(
    aliases.map(async (a) => ({
      id: a.id,
      name: a.name,
      target: a.target,
      targetKind: (await resolveConcreteModel({ db: tenant.db, name: a.target }))?.kind ?? null,
      createdAt: a.createdAt,
      updatedAt: a.updatedAt,
    })),
  );
}

export async function createAlias({ tenant, name, target }: { tenant: TenantContext; name: string; target: string }) {
  await assertFreeName(tenant, name);
  await assertTarget(tenant, target);
  try {
    return await tenant.db.$transaction(async (tx) => {
      const alias = await tx.modelAlias.create({ data: { name, target, organizationId: tenant.scope.organizationId, projectId: tenant.scope.projectId } });
      await recordAudit(tx, { organizationId: tenant.scope.organizationId, actor: tenant.actor, action: 'model_alias.create', targetType: 'ModelAlias', targetId: alias.id, data: { name, target } });
      return alias;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new LatheError('CONFLICT', `This project already has an alias \`${name}\`; switch its target instead.`, { param: 'name', reason: 'name_taken' });
    throw error;
  }
}

export async function updateAlias({ tenant, id, target }: { tenant: TenantContext; id: string; target: string }) {
  const alias = await tenant.db.modelAlias.findUnique({ where: { id } });
  if (!alias) throw notFound('Alias');
  await assertTarget(tenant, target);
  return tenant.db.$transaction(async (tx) => {
    const updated = await tx.modelAlias.update({ where: { id }, data: { target } });
    await recordAudit(tx, { organizationId: tenant.scope.organizationId, actor: tenant.actor, action: 'model_alias.update', targetType: 'ModelAlias', targetId: id, data: { name: alias.name, from: alias.target, to: target } });
    return updated;
  });
}

export async function deleteAlias({ tenant, id }: { tenant: TenantContext; id: string }) {
  return tenant.db.$transaction(async (tx) => {
    const alias = await tx.modelAlias.findUnique({ where: { id } });
    if (!alias) throw notFound('Alias');
    await tx.modelAlias.delete({ where: { id } });
    await recordAudit(tx, { organizationId: tenant.scope.organizationId, actor: tenant.actor, action: 'model_alias.delete', targetType: 'ModelAlias', targetId: id, data: { name: alias.name, target: alias.target } });
    return { id, name: alias.name };
  });
}
