// The first-run checklist: which of the first steps the caller's organization and project have
// taken. Each step is read from the rows it leaves, so the list ticks itself off as the user goes.
import type { TenantContext } from '@/server/db/tenant';

export type ChecklistStep = 'credits' | 'dataset' | 'model' | 'job' | 'chat' | 'apiKey';
export const CHECKLIST_STEPS: readonly ChecklistStep[] = ['credits', 'dataset', 'model', 'job', 'chat', 'apiKey'];

export async function firstRunChecklist({ tenant }: { tenant: TenantContext }): Promise<Record<ChecklistStep, boolean>> {
  const { db } = tenant;
  const [ledger, datasets, models, jobs, chats, keys] = await Promise.all([
    db.creditLedgerEntry.aggregate({ _sum: { amount: true } }),
    db.dataset.count(),
    db.baseModel.count({ where: { status: 'READY' } }),
    db.trainingJob.count(),
    db.usageRecord.count(),
    db.apiKey.count(),
  ]);
  return {
    credits: (ledger._sum.amount?.toNumber() ?? 0) > 0,
    dataset: datasets > 0,
    model: models > 0,
    job: jobs > 0,
    chat: chats > 0,
    apiKey: keys > 0,
  };
}
