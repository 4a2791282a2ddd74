// The project's fine-tuned models a new job can continue from (the new-job form's model list).
import type { TenantContext } from '@/server/db/tenant';

export async function listContinuableModels({ tenant }: { tenant: TenantContext }) {
  const rows = await tenant.db.fineTunedModel.findMany({
    select: { name: true, artifacts: true, createdAt: true, baseModel: { select: { name: true } } },
    orderBy: { createdAt: 'desc' },
    take: 200,
  });
  return rows.filter((r) => (r.artifacts as { adapter?: unknown } | null)?.adapter).map((r) => ({ name: r.name, baseModel: r.baseModel.name, createdAt: r.createdAt }));
}
