// A run that trained to the end becomes a fine-tuned model: the job's published artifacts, the
// FineTunedModel row and its audit entry, in one transaction fenced by the run's attempt.
import type { Db } from '@/server/db';
import type { StoredFolder } from '@/server/services/artifacts/folders';
import { recordAudit } from '@/server/services/audit/record-audit';
import type { JobArtifacts } from '@/server/services/training/prepare-job';
import { recordPublished, type RunAttempt } from '@/server/services/training/job-transitions';
import { emitModelReady } from '@/server/services/webhooks/domain-events';
import { fineTunedModelName } from '@/server/services/training/openai-shapes';

type StoredFile = { sha256: string; size: number };

export type PublishableJob = {
  id: string;
  organizationId: string;
  projectId: string;
  baseModelId: string;
  suffix: string | null;
  artifacts: unknown;
  baseModel: { name: string };
  organization: { slug: string };
};

export type PublishJobOptions = {
  db: Db;
  job: PublishableJob;
  attempt: number;
  adapter: StoredFolder;
  adapterGguf: StoredFile;
  metrics: StoredFile;
  trainedTokens: number;
  /** The job's progress as the run left it. */
  progress: Record<string, unknown>;
  /** The run's own additions to the job's artifacts (its stored log, which adapter it published). */
  extraArtifacts?: Partial<JobArtifacts>;
};

/** The fine-tuned model's name, or null when the job is no longer running as this attempt (nothing is written). */
export async function publishJob({ db, job, attempt, adapter, adapterGguf, metrics, trainedTokens, progress, extraArtifacts }: PublishJobOptions): Promise<string | null> {
  const run: RunAttempt = { jobId: job.id, attempt };
  const artifacts: JobArtifacts = { ...((job.artifacts ?? {}) as JobArtifacts), ...extraArtifacts, adapter, adapterGguf, metrics };
  const modelArtifacts = { adapter, gguf: adapterGguf };
  const name = fineTunedModelName(job.baseModel.name, job.organization.slug, job.suffix, job.id);
  return db.$transaction(async (tx) => {
    if (!(await recordPublished(tx, run, { artifacts: artifacts as object, trainedTokens: BigInt(trainedTokens), progress: progress as object }))) return null;
    // Already there when this transaction is retried after a lost commit answer, or when an
    // earlier attempt published and its runner died before ending the job.
    if (await tx.fineTunedModel.findUnique({ where: { jobId: job.id }, select: { id: true } })) {
      await tx.fineTunedModel.update({ where: { jobId: job.id }, data: { artifacts: modelArtifacts } });
      return name;
    }
    await tx.fineTunedModel.create({ data: { organizationId: job.organizationId, projectId: job.projectId, name, baseModelId: job.baseModelId, jobId: job.id, artifacts: modelArtifacts } });
    await emitModelReady({ db, tx, model: { name, organizationId: job.organizationId, projectId: job.projectId, jobId: job.id } });
    await recordAudit(tx, { organizationId: job.organizationId, actor: {}, action: 'model.fine_tuned.create', targetType: 'FineTunedModel', targetId: name, data: { jobId: job.id, trainedTokens } });
    return name;
  });
}
