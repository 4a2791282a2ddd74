// The jobs list's filters on the real database: status, base model, dataset (training or
// validation), and search by suffix (any case) or id; with each ended job's charge from the ledger.
import { describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { jobCharges, listJobs } from '@/server/services/training/manage-jobs';
import { createTestUser } from '@/tests/helpers/factories';
import { tenantOf } from '@/tests/kit/datasets';

describe('listJobs filters', () => {
  it('filters by status, model, dataset and search, and prices ended jobs from the ledger', async () => {
    const db = getDb();
    const owner = await createTestUser();
    const scope = { organizationId: owner.organization.id, projectId: owner.project.id };
    const tag = Math.random().toString(36).slice(2, 7);
    const [a, b] = await Promise.all(['a', 'b'].map((n) => db.baseModel.create({ data: { organizationId: owner.organization.id, name: `list-${n}-${tag}`, source: 'GGUF', status: 'READY' } })));
    const [d1, d2] = await Promise.all(['1', '2'].map((n) => db.dataset.create({ data: { ...scope, name: `d${n}.jsonl`, filename: `d${n}.jsonl`, status: 'VALID' } })));
    const job = (baseModelId: string, trainingDatasetId: string, status: 'running' | 'succeeded' | 'failed', suffix: string | null, validationDatasetId?: string) =>
      db.trainingJob.create({ data: { ...scope, baseModelId, trainingDatasetId, validationDatasetId, status, suffix, hyperparameters: {}, seed: 1 } });
    const j1 = await job(a!.id, d1!.id, 'running', 'Alpha-Run');
    const j2 = await job(b!.id, d2!.id, 'succeeded', 'beta', d1!.id);
    const j3 = await job(a!.id, d2!.id, 'failed', null);
    await db.creditLedgerEntry.createMany({
      data: [
        { organizationId: scope.organizationId, kind: 'RESERVATION', amount: '-2', jobId: j2.id },
        { organizationId: scope.organizationId, kind: 'SETTLEMENT', amount: '1.25', jobId: j2.id },
      ],
    });
    const tenant = tenantOf(owner);
    const ids = async (filter: Parameters<typeof listJobs>[0] extends infer O ? Omit<O, 'tenant'> : never) => (await listJobs({ tenant, ...filter })).jobs.map((j) => j.id).sort();
    expect(await ids({})).toEqual([j1.id, j2.id, j3.id].sort());
    expect(await ids({ status: 'failed' })).toEqual([j3.id]);
    expect(await ids({ model: a!.name })).toEqual([j1.id, j3.id].sort());
    expect(await ids({ dataset: `file-${d1!.id}` })).toEqual([j1.id, j2.id].sort());
    expect(await ids({ dataset: d2!.id, model: a!.name })).toEqual([j3.id]);
    expect(await ids({ search: 'alpha' })).toEqual([j1.id]);
    expect(await ids({ search: `ftjob-${j3.id}` })).toEqual([j3.id]);
    expect(await ids({ search: 'nothing-like-it' })).toEqual([]);
    // Paging keeps the filter.
    const first = await listJobs({ tenant, model: a!.name, limit: 1 });
    expect(first.hasMore).toBe(true);
    expect((await listJobs({ tenant, model: a!.name, limit: 1, after: first.jobs[0]!.id })).jobs.map((j) => j.id)).toEqual([j1.id, j3.id].filter((id) => id !== first.jobs[0]!.id));

    const charges = await jobCharges({ tenant, jobs: [j1, j2, j3] });
    expect(Object.fromEntries(charges)).toEqual({ [j2.id]: '0.75', [j3.id]: '0' });
  });
});
