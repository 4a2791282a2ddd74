// Deleting a job that has ended: its row, events and checkpoints go, and so do the files only it
// referenced (tokenized data, checkpoints, metrics). The fine-tuned model it produced stays, with
// its own files, and the datasets it trained on can then be deleted. The artifact store is
// content-addressed, so a file is removed only when no other row of any tenant names its hash.
import type { Db } from '@/server/db';
import type { TenantContext } from '@/server/db/tenant';
import type { ArtifactStore } from '@/server/services/artifacts/types';
import { recordAudit } from '@/server/services/audit/record-audit';
import { datasetStore } from '@/server/services/datasets/platform/config';
import { LatheError } from '@/server/services/errors';
import { logger } from '@/server/logger';
import { getJob } from '@/server/services/training/manage-jobs';
import { toApiJobId } from '@/server/services/training/openai-shapes';

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);
const SHA = /^[0-9a-f]{64}$/;

/** Every sha256 named anywhere in a JSON value (artifacts hold them at varying depths). */
export function hashesIn(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) hashesIn(item, into);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'sha256' && typeof item === 'string' && SHA.test(item)) into.add(item);
      else hashesIn(item, into);
    }
  }
  return into;
}

/** Whether any row of any tenant still names the hash: a dataset, a model, a job or a checkpoint. */
export async function stillReferenced(db: Db, sha256: string): Promise<boolean> {
  const needle = `%${sha256}%`;
  const rows = await db.$queryRawUnsafe<Array<{ n: bigint }>>(
    `SELECT (SELECT count(*) FROM "Dataset" WHERE sha256 = $1)
          + (SELECT count(*) FROM "TrainingJob" WHERE artifacts::text LIKE $2)
          + (SELECT count(*) FROM "Checkpoint" WHERE artifacts::text LIKE $2)
          + (SELECT count(*) FROM "FineTunedModel" WHERE artifacts::text LIKE $2)
          + (SELECT count(*) FROM "BaseModel" WHERE artifacts::text LIKE $2) AS n`,
    sha256,
    needle,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

export async function deleteJob({ tenant, db, id, store = datasetStore() }: { tenant: TenantContext; db: Db; id: string; store?: ArtifactStore }): Promise<{ id: string; object: 'fine_tuning.job'; deleted: true }> {
  const job = await getJob({ tenant, id });
  if (!FINAL.has(job.status)) {
    throw new LatheError('CONFLICT', `The job is ${job.status}. Cancel it first; a job can be deleted once it has succeeded, failed or been cancelled.`, { reason: 'job_not_finished' });
  }
  const checkpoints = await tenant.db.checkpoint.findMany({ where: { jobId: job.id }, select: { artifacts: true } });
  const hashes = hashesIn([job.artifacts, ...checkpoints.map((c) => c.artifacts)]);
  await tenant.db.$transaction(async (tx) => {
    // Re-read inside the transaction: a concurrent delete answers not found, not a second audit entry.
    const { count } = await tx.trainingJob.deleteMany({ where: { id: job.id, status: { in: [...FINAL] as never } } });
    if (count === 0) throw new LatheError('NOT_FOUND', `Fine-tuning job '${id}' not found.`, { param: 'fine_tuning_job_id' });
    await recordAudit(tx, {
      organizationId: tenant.scope.organizationId,
      actor: tenant.actor,
      action: 'job.delete',
      targetType: 'TrainingJob',
      targetId: toApiJobId(job.id),
      data: { status: job.status, fineTunedModel: job.fineTunedModel?.name ?? null, files: hashes.size },
    });
  });
  for (const sha256 of hashes) {
    if (await stillReferenced(db, sha256)) continue;
    await store.delete(sha256).catch((error: unknown) => logger.warn({ err: error, jobId: job.id }, 'could not remove a deleted job file'));
  }
  return { id: toApiJobId(job.id), object: 'fine_tuning.job', deleted: true };
}
