// The trainer's log of a job as one text file: the copy stored with the job's artifacts once the
// run has ended, or, while it runs (or for a job from before logs were stored), its log lines as
// recorded so far.
import { Readable } from 'node:stream';
import type { TenantContext } from '@/server/db/tenant';
import type { ArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import type { JobArtifacts } from '@/server/services/training/prepare-job';
import { getJob } from '@/server/services/training/manage-jobs';
import { toApiJobId } from '@/server/services/training/openai-shapes';

export async function openJobLog({ tenant, store, id }: { tenant: TenantContext; store: ArtifactStore; id: string }): Promise<{ body: Readable; filename: string; size: number | null; stored: boolean }> {
  const job = await getJob({ tenant, id });
  const filename = `${toApiJobId(job.id)}-trainer.log`;
  const stored = ((job.artifacts ?? {}) as JobArtifacts).log;
  if (stored && (await store.has(stored.sha256))) return { body: await store.get(stored.sha256), filename, size: stored.size, stored: true };
  const rows = await tenant.db.jobEvent.findMany({ where: { jobId: job.id, type: 'log' }, orderBy: { seq: 'asc' }, select: { message: true } });
  return { body: Readable.from(rows.map((r) => `${r.message}\n`)), filename, size: null, stored: false };
}
