// Deleting ended jobs on the real database and a real local artifact store: refused while the job
// runs; afterwards the job, its events and checkpoints are gone, the files only it named are
// removed, files another row names stay, the fine-tuned model stays, and its dataset becomes
// deletable. Another tenant cannot delete it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { LocalArtifactStore, bufferSource } from '@/server/services/artifacts/local-store';
import { deleteDataset } from '@/server/services/datasets/platform/delete-dataset';
import { LatheError } from '@/server/services/errors';
import { deleteJob, hashesIn } from '@/server/services/training/delete-job';
import { createTestUser } from '@/tests/helpers/factories';
import { tenantOf } from '@/tests/kit/datasets';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-delete-job-'));
const store = new LocalArtifactStore({ root: dir });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('deleteJob', () => {
  it('deletes an ended job with the files only it referenced, keeps shared ones and its model, and frees its dataset', async () => {
    const db = getDb();
    const owner = await createTestUser();
    const other = await createTestUser();
    const scope = { organizationId: owner.organization.id, projectId: owner.project.id };
    const put = (text: string) => store.put(bufferSource(text));
    const [train, metrics, checkpointFile, adapter, shared] = await Promise.all([put(`train ${Math.random()}`), put(`metrics ${Math.random()}`), put(`ckpt ${Math.random()}`), put(`adapter ${Math.random()}`), put(`shared ${Math.random()}`)]);
    const base = await db.baseModel.create({ data: { organizationId: owner.organization.id, name: `del-base-${Math.random().toString(36).slice(2, 7)}`, source: 'GGUF', status: 'READY' } });
    const dataset = await db.dataset.create({ data: { ...scope, name: 'd.jsonl', filename: 'd.jsonl', status: 'VALID' } });
    const job = await db.trainingJob.create({
      data: {
        ...scope,
        baseModelId: base.id,
        trainingDatasetId: dataset.id,
        status: 'running',
        hyperparameters: {},
        seed: 1,
        artifacts: { train: { sha256: train.sha256, size: train.size }, metrics: { sha256: metrics.sha256, size: metrics.size }, adapter: { 'adapter_model.safetensors': { sha256: adapter.sha256, size: adapter.size } }, valid: { sha256: shared.sha256, size: shared.size } },
      },
    });
    await db.checkpoint.create({ data: { jobId: job.id, step: 5, artifacts: { files: { 'adapter_model.safetensors': { sha256: checkpointFile.sha256, size: checkpointFile.size } } } } });
    await db.jobEvent.create({ data: { jobId: job.id, seq: 1, message: 'started' } });
    // Another job names the shared file; the model the job produced names the adapter.
    await db.trainingJob.create({ data: { ...scope, baseModelId: base.id, trainingDatasetId: dataset.id, status: 'failed', hyperparameters: {}, seed: 1, artifacts: { train: { sha256: shared.sha256, size: shared.size } } } });
    const tuned = await db.fineTunedModel.create({ data: { ...scope, name: `ft:${base.name}:x::${job.id}`, baseModelId: base.id, jobId: job.id, artifacts: { adapter: { 'adapter_model.safetensors': { sha256: adapter.sha256, size: adapter.size } } } } });

    const refused = await deleteJob({ tenant: tenantOf(owner), db, id: `ftjob-${job.id}`, store }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LatheError);
    expect((refused as LatheError).details).toMatchObject({ reason: 'job_not_finished' });
    expect((refused as LatheError).message).toMatch(/Cancel it first/);

    await db.trainingJob.update({ where: { id: job.id }, data: { status: 'succeeded', finishedAt: new Date() } });
    const outsider = await deleteJob({ tenant: tenantOf(other), db, id: `ftjob-${job.id}`, store }).catch((e: unknown) => e);
    expect((outsider as LatheError).code).toBe('NOT_FOUND');

    expect(await deleteJob({ tenant: tenantOf(owner), db, id: `ftjob-${job.id}`, store })).toEqual({ id: `ftjob-${job.id}`, object: 'fine_tuning.job', deleted: true });
    expect(await db.trainingJob.findUnique({ where: { id: job.id } })).toBeNull();
    expect(await db.checkpoint.count({ where: { jobId: job.id } })).toBe(0);
    expect(await db.jobEvent.count({ where: { jobId: job.id } })).toBe(0);
    expect(await store.has(train.sha256)).toBe(false);
    expect(await store.has(metrics.sha256)).toBe(false);
    expect(await store.has(checkpointFile.sha256)).toBe(false);
    expect(await store.has(shared.sha256)).toBe(true);
    expect(await store.has(adapter.sha256)).toBe(true);
    expect(await db.fineTunedModel.findUnique({ where: { id: tuned.id } })).toMatchObject({ jobId: null });
    expect(await db.auditLogEntry.count({ where: { organizationId: owner.organization.id, action: 'job.delete' } })).toBe(1);

    // A second delete finds nothing; the dataset is still used by the other job until it goes too.
    expect(((await deleteJob({ tenant: tenantOf(owner), db, id: job.id, store }).catch((e: unknown) => e)) as LatheError).code).toBe('NOT_FOUND');
    const stillUsed = await deleteDataset({ tenant: tenantOf(owner), id: dataset.id, store }).catch((e: unknown) => e);
    expect((stillUsed as LatheError).details).toMatchObject({ reason: 'dataset_in_use' });
    const remaining = await db.trainingJob.findFirstOrThrow({ where: { trainingDatasetId: dataset.id } });
    await deleteJob({ tenant: tenantOf(owner), db, id: remaining.id, store });
    expect(await store.has(shared.sha256)).toBe(false);
    expect(await deleteDataset({ tenant: tenantOf(owner), id: dataset.id, store })).toEqual({ id: dataset.id, deleted: true });
  });

  it('finds hashes at any depth of an artifacts value', () => {
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    expect([...hashesIn({ x: { sha256: a }, files: { f: { sha256: b, size: 1 } }, list: [{ sha256: a }], bad: { sha256: 'nope' } })].sort()).toEqual([a, b]);
  });
});
