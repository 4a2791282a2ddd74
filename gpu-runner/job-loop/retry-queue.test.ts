// The runner's write queue against the real database: a write that fails for a reason time cannot
// fix (its job row is gone) is given up and recorded, and the queue moves on; the writes behind it
// and the run that waits for them are not held up.
import { describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { logger } from '@/server/logger';
import { appendJobEvents } from '@/server/services/training/job-events';
import { recordCheckpoint } from '@/server/services/training/job-checkpoints';
import { createTestUser } from '@/tests/helpers/factories';
import { RetryQueue } from './retry-queue';

/** The queue's drain, or a failure once it has waited longer than any retry of a passing write. */
function drained(queue: RetryQueue, ms = 10_000) {
  return Promise.race([queue.drain().then(() => 'drained'), new Promise((resolve) => setTimeout(() => resolve(`still retrying after ${ms} ms`), ms).unref())]);
}

describe('the runner write queue', () => {
  it('gives up a write whose job row is gone (foreign key), records it, and runs the next one', async () => {
    const { organization, project } = await createTestUser();
    const db = getDb();
    const model = await db.baseModel.create({ data: { name: `retry-${organization.id}`, source: 'FOLDER', status: 'READY', organizationId: organization.id, projectId: project.id } });
    const dataset = await db.dataset.create({ data: { organizationId: organization.id, projectId: project.id, name: 'train.jsonl', status: 'VALID' } });
    const job = await db.trainingJob.create({ data: { organizationId: organization.id, projectId: project.id, baseModelId: model.id, trainingDatasetId: dataset.id, status: 'running', attempt: 1, hyperparameters: {}, seed: 1 } });

    const queue = new RetryQueue(logger.child({ test: 'retry-queue' }, { level: 'silent' }), 50);
    const gone = 'job-that-was-deleted';
    void queue.push('events', () => appendJobEvents({ db, jobId: gone, events: [{ seq: 1, message: 'lost' }] }));
    void queue.push('checkpoint', () => recordCheckpoint({ db, run: { jobId: gone, attempt: 1 }, step: 2, metrics: {}, files: {} }));
    void queue.push('events', () => appendJobEvents({ db, jobId: job.id, events: [{ seq: 1, message: 'kept' }] }));
    expect(await drained(queue)).toBe('drained');
    expect(queue.size).toBe(0);
    expect(queue.dropped.map((d) => [d.write, d.code])).toEqual([
      ['events', 'P2003'],
      ['checkpoint', 'P2003'],
    ]);
    expect((await db.jobEvent.findMany({ where: { jobId: job.id } })).map((e) => e.message)).toEqual(['kept']);
  });
});
