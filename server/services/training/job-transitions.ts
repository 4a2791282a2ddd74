// Every write to a TrainingJob after its creation. Each status transition is one function: an
// updateMany guarded by the states the job may leave (and, for a runner, by its attempt), so a
// transition that lost a race writes nothing and returns false. Events, audit entries,
// notifications and queue messages stay with the callers.
import type { Prisma } from '@/server/generated/prisma/client';

type JobWhere = Prisma.TrainingJobWhereInput;
type JobData = Prisma.TrainingJobUncheckedUpdateManyInput;

/** A client, a transaction or a tenant's client: anything that can update TrainingJob rows. */
export type JobWriter = {
  trainingJob: {
    updateMany(args: { where: JobWhere; data: JobData }): PromiseLike<{ count: number }>;
    count(args: { where: JobWhere }): PromiseLike<number>;
  };
};

/** One runner's attempt at a job. Its writes change nothing once the job is no longer running as this attempt. */
export type RunAttempt = { jobId: string; attempt: number };

export type JobError = { code: string; message: string; param?: string | null };

async function transition(db: JobWriter, where: JobWhere, data: JobData): Promise<boolean> {
  const { count } = await db.trainingJob.updateMany({ where, data });
  return count === 1;
}

const runningAs = ({ jobId, attempt }: RunAttempt): JobWhere => ({ id: jobId, attempt, status: 'running' });

/** validating_files → queued with what preparing resolved. False when the job was cancelled meanwhile. */
export function markQueued(
  db: JobWriter,
  jobId: string,
  prepared: { hyperparameters: Prisma.InputJsonValue; trainedTokens: bigint; estimatedCost: number; artifacts: Prisma.InputJsonValue },
) {
  return transition(db, { id: jobId, status: 'validating_files' }, { status: 'queued', ...prepared });
}

/** validating_files, queued or running (whatever the attempt) → failed: the worker's verdict on a job it could not prepare. */
export function markFailed(db: JobWriter, jobId: string, error: JobError) {
  return transition(db, { id: jobId, status: { in: ['validating_files', 'queued', 'running'] } }, { status: 'failed', error, finishedAt: new Date() });
}

/** validating_files or queued → cancelled, before any runner took the job. */
export function markCancelled(db: JobWriter, jobId: string, now: Date) {
  return transition(db, { id: jobId, status: { in: ['validating_files', 'queued'] } }, { status: 'cancelled', cancelRequestedAt: now, finishedAt: now });
}

/**
 * Every job of the organization that has not ended → cancelled, with the next attempt: deleting an
 * organization fences its runners out first, so a runner's write in flight (publishing a model)
 * either commits before the deletion sees the organization's rows or changes nothing.
 */
export async function fenceOrganizationJobs(db: JobWriter, organizationId: string, now: Date) {
  const { count } = await db.trainingJob.updateMany({
    where: { organizationId, status: { in: ['validating_files', 'queued', 'running'] } },
    data: { status: 'cancelled', cancelRequestedAt: now, finishedAt: now, attempt: { increment: 1 } },
  });
  return count;
}

/** Asks a running job's runner to stop the trainer; the job becomes cancelled when the runner ends its attempt. */
export function requestCancel(db: JobWriter, jobId: string, now: Date) {
  return transition(db, { id: jobId }, { cancelRequestedAt: now });
}

/**
 * queued after attempt - 1 → running as `attempt` on this runner: the fence that keeps a second
 * runner, handed the same attempt, off the job.
 */
export async function claimJob(db: JobWriter, run: RunAttempt, runnerId: string, now = new Date()) {
  const claimed = await transition(
    db,
    { id: run.jobId, status: 'queued', attempt: run.attempt - 1 },
    { status: 'running', attempt: run.attempt, runnerId, heartbeatAt: now, cancelRequestedAt: null },
  );
  if (claimed) await db.trainingJob.updateMany({ where: { id: run.jobId, startedAt: null }, data: { startedAt: now } });
  return claimed;
}

/** running as this attempt → queued without a runner; the caller enqueues attempt + 1. */
export function requeueLapsed(db: JobWriter, run: RunAttempt) {
  return transition(db, runningAs(run), { status: 'queued', runnerId: null });
}

// True also when the job already ended as this attempt in this status: a retry after a commit
// whose answer was lost must still settle. The runner stays on the finished job: which host ran it
// is what one asks first about a failure.
async function endAttempt(db: JobWriter, run: RunAttempt, status: 'succeeded' | 'failed' | 'cancelled', data: JobData) {
  if (await transition(db, runningAs(run), { status, finishedAt: new Date(), ...data })) return true;
  return (await db.trainingJob.count({ where: { id: run.jobId, attempt: run.attempt, status } })) === 1;
}

/** running as this attempt → succeeded. */
export function markSucceeded(db: JobWriter, run: RunAttempt) {
  return endAttempt(db, run, 'succeeded', {});
}

/** running as this attempt → failed with the trainer's or the runner's error. */
export function markRunFailed(db: JobWriter, run: RunAttempt, error: { code: string; message: string }) {
  return endAttempt(db, run, 'failed', { error: { ...error, param: null } });
}

/** running as this attempt → cancelled after `trainedTokens`. */
export function markRunCancelled(db: JobWriter, run: RunAttempt, trainedTokens: number) {
  return endAttempt(db, run, 'cancelled', { trainedTokens: BigInt(trainedTokens) });
}

/** The runner's heartbeat; false once the job is no longer running as this attempt. */
export function recordHeartbeat(db: JobWriter, run: RunAttempt) {
  return transition(db, runningAs(run), { heartbeatAt: new Date() });
}

/** A heartbeat at the epoch: the reaper requeues the job with the next attempt, as for a runner that died. */
export function handBack(db: JobWriter, run: RunAttempt) {
  return transition(db, runningAs(run), { heartbeatAt: new Date(0) });
}

/**
 * The Slurm job running this attempt ({jobId, partition, nodes, state}) and how far the runner has
 * read its output ({offset, seq}): a restarted runner re-attaches from there.
 */
export function recordSlurm(db: JobWriter, run: RunAttempt, slurm: Prisma.InputJsonValue) {
  return transition(db, runningAs(run), { slurm });
}

export function recordProgress(db: JobWriter, run: RunAttempt, progress: Prisma.InputJsonValue) {
  return transition(db, runningAs(run), { progress });
}

export function recordCheckpointStep(db: JobWriter, run: RunAttempt, step: number) {
  return transition(db, runningAs(run), { lastCheckpointStep: step });
}

/** The job's artifacts with the run's stored log added, for a run that ends without publishing. */
export function recordRunLog(db: JobWriter, run: RunAttempt, artifacts: Prisma.InputJsonValue) {
  return transition(db, runningAs(run), { artifacts });
}

/** The adapter, GGUF and metrics of a finished run, written before the attempt ends. */
export function recordPublished(db: JobWriter, run: RunAttempt, published: { artifacts: Prisma.InputJsonValue; trainedTokens: bigint; progress: Prisma.InputJsonValue }) {
  return transition(db, runningAs(run), published);
}
