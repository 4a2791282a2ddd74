import type { TenantDb } from '@/server/db/tenant';

export type UsableModel = { id: string; object: 'model'; created: number; owned_by: string; kind: 'base' | 'fine-tuned' };

/** Models a project can train on or call: ready base models (its org's and platform-wide) and its fine-tunes. */
export async function listUsableModels({ db }: { db: TenantDb }): Promise<UsableModel[]> {
  const [bases, tuned] = await Promise.all([
    db.baseModel.findMany({ where: { status: 'READY' }, select: { name: true, createdAt: true, organizationId: true }, orderBy: { name: 'asc' } }),
    db.fineTunedModel.findMany({ select: { name: true, createdAt: true, organizationId: true }, orderBy: { createdAt: 'desc' } }),
  ]);
  const toModel = (m: { name: string; createdAt: Date; organizationId: string | null }, kind: UsableModel['kind']): UsableModel => ({
    id: m.name,
    object: 'model',
    created: Math.floor(m.createdAt.getTime() / 1000),
    owned_by: m.organizationId ?? 'lathe',
    kind,
  });
  return [...bases.map((m) => toModel(m, 'base')), ...tuned.map((m) => toModel(m, 'fine-tuned'))];
}
