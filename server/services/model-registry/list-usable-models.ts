import type { TenantDb } from '@/server/db/tenant';

export type UsableModel = { id: string; object: 'model'; created: number; owned_by: string; kind: 'base' | 'fine-tuned' | 'alias' };

const CHECKPOINT_NAME = /:ckpt-step-\d+$/;

/**
 * Models a project can train on or call: ready base models (its org's and platform-wide), its
 * fine-tunes, and its aliases whose target is one of those (or a checkpoint).
 */
export async function listUsableModels({ db }: { db: TenantDb }): Promise<UsableModel[]> {
  const [bases, tuned, aliases] = await Promise.all([
    db.baseModel.findMany({ where: { status: 'READY' }, select: { name: true, createdAt: true, organizationId: true }, orderBy: { name: 'asc' } }),
    db.fineTunedModel.findMany({ select: { name: true, createdAt: true, organizationId: true }, orderBy: { createdAt: 'desc' } }),
    db.modelAlias.findMany({ select: { name: true, target: true, createdAt: true, organizationId: true }, orderBy: { name: 'asc' } }),
  ]);
  const toModel = (m: { name: string; createdAt: Date; organizationId: string | null }, kind: UsableModel['kind']): UsableModel => ({
    id: m.name,
    object: 'model',
    created: Math.floor(m.createdAt.getTime() / 1000),
    owned_by: m.organizationId ?? 'lathe',
    kind,
  });
  const names = new Set([...bases, ...tuned].map((m) => m.name));
  const callable = aliases.filter((a) => names.has(a.target) || CHECKPOINT_NAME.test(a.target));
  return [...bases.map((m) => toModel(m, 'base')), ...tuned.map((m) => toModel(m, 'fine-tuned')), ...callable.map((m) => toModel(m, 'alias'))];
}
