// A runner that stops heartbeating (killed, host lost) leaves its job running forever; this puts
// such jobs back in the queue with the next attempt, so another runner resumes them from their
// last stored checkpoint. The attempt fences the old runner out if it comes back.
import type { PgBoss } from 'pg-boss';
import type { Db } from '@/server/db';
import { enqueue, runTrainingJob } from '@/server/queue/contracts';
import { appendJobEvents, nextEventSeq, notifyJob } from '@/server/services/training/job-events';
import { requeueLapsed } from '@/server/services/training/job-transitions';

// Runners cannot write heartbeats while the database is down, so a database restart must not pass
// for the death of every runner: a client reaps only after it has seen the database answer for a
// whole lapse period without a failure (which also holds back a freshly started worker).
const reachableSince = new WeakMap<Db, number>();

export async function reapLapsedJobs({ db, boss, lapseMs = 30_000 }: { db: Db; boss: PgBoss; lapseMs?: number }) {
  const cutoff = new Date(Date.now() - lapseMs);
  let lapsed;
  try {
    lapsed = await db.trainingJob.findMany({ where: { status: 'running', OR: [{ heartbeatAt: { lt: cutoff } }, { heartbeatAt: null }] }, select: { id: true, attempt: true, lastCheckpointStep: true, runnerId: true } });
  } catch (error) {
    reachableSince.delete(db);
    throw error;
  }
  if (!reachableSince.has(db)) reachableSince.set(db, Date.now());
  if (Date.now() - reachableSince.get(db)! < lapseMs) return 0;
  // A runner that stopped heartbeating is offline whether or not it held a job (its next heartbeat,
  // if it comes back, sets it online again).
  await db.runner.updateMany({ where: { status: { not: 'OFFLINE' }, lastHeartbeatAt: { lt: cutoff } }, data: { status: 'OFFLINE' } });
  let requeued = 0;
  for (const job of lapsed) {
    if (!(await requeueLapsed(db, { jobId: job.id, attempt: job.attempt }))) continue;
    await appendJobEvents({
      db,
      jobId: job.id,
      events: [
        {
          seq: await nextEventSeq(db, job.id),
          level: 'warn',
          message: `The runner stopped responding; the job is back in the queue and will resume ${job.lastCheckpointStep ? `from step ${job.lastCheckpointStep}` : 'from the start'}.`,
        },
      ],
    });
    await enqueue(boss, runTrainingJob, { jobId: job.id, attempt: job.attempt + 1 }, { singletonKey: `train:${job.id}:${job.attempt + 1}` });
    await notifyJob(db, { jobId: job.id, status: 'queued' });
    requeued++;
  }
  return requeued;
}
