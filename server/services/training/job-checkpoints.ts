// A run's checkpoints: stored in the artifact store so any runner can resume the job from the
// newest one the job row names.
import { z } from 'zod';
import type { Db } from '@/server/db';
import type { StoredFolder } from '@/server/services/artifacts/folders';
import { recordCheckpointStep, type RunAttempt } from '@/server/services/training/job-transitions';

export const ZCheckpointArtifacts = z.object({ files: z.record(z.string(), z.object({ sha256: z.string(), size: z.number() })) });
export type TCheckpointArtifacts = z.infer<typeof ZCheckpointArtifacts>;

export type RecordCheckpointOptions = { db: Db; run: RunAttempt; step: number; metrics: Record<string, unknown>; files: StoredFolder };

export async function recordCheckpoint({ db, run, step, metrics, files }: RecordCheckpointOptions) {
  const artifacts: TCheckpointArtifacts = { files };
  await db.checkpoint.upsert({
    where: { jobId_step: { jobId: run.jobId, step } },
    create: { jobId: run.jobId, step, metrics: metrics as object, artifacts },
    update: { metrics: metrics as object, artifacts },
  });
  await recordCheckpointStep(db, run, step);
}

/** The stored files of the job's checkpoint at `step`; null when there is none to resume from. */
export async function checkpointFiles(db: Db, jobId: string, step: number): Promise<StoredFolder | null> {
  const checkpoint = await db.checkpoint.findUnique({ where: { jobId_step: { jobId, step } }, select: { artifacts: true } });
  const parsed = ZCheckpointArtifacts.safeParse(checkpoint?.artifacts);
  return parsed.success ? parsed.data.files : null;
}
