// Job events: appended idempotently (a (jobId, seq) pair is written once, so a runner can retry a
// batch after a database restart without duplicates) and announced with NOTIFY, which every web
// node LISTENs to and fans out over socket.io.
import type { Db } from '@/server/db';
import type { Prisma } from '@/server/generated/prisma/client';

export const JOB_CHANNEL = 'lathe_job_events';

export type NewJobEvent = {
  seq: number;
  level?: 'info' | 'warn' | 'error';
  /** `log`: a line the trainer wrote to its log, shown in the job page's logs panel (not an OpenAI event). */
  type?: 'message' | 'metrics' | 'log';
  message: string;
  data?: Record<string, unknown> | null;
  createdAt?: Date;
};

export type JobNotification = { jobId: string; seq?: number; status?: string };

type RawDb = Pick<Db, '$executeRawUnsafe'>;

export async function notifyJob(db: RawDb, notification: JobNotification) {
  await db.$executeRawUnsafe('SELECT pg_notify($1, $2)', JOB_CHANNEL, JSON.stringify(notification));
}

/** `db` may be a transaction: the notification goes out when it commits. */
export async function appendJobEvents({ db, jobId, events }: { db: Pick<Db, 'jobEvent' | '$executeRawUnsafe'>; jobId: string; events: NewJobEvent[] }) {
  if (events.length === 0) return 0;
  const { count } = await db.jobEvent.createMany({
    data: events.map((e) => ({
      jobId,
      seq: e.seq,
      level: e.level ?? 'info',
      type: e.type ?? 'message',
      message: e.message,
      data: (e.data ?? undefined) as Prisma.InputJsonValue | undefined,
      createdAt: e.createdAt ?? new Date(),
    })),
    skipDuplicates: true,
  });
  await notifyJob(db, { jobId, seq: Math.max(...events.map((e) => e.seq)) });
  return count;
}

/** The sequence number after the job's last event. */
export async function nextEventSeq(db: Db, jobId: string) {
  const { _max } = await db.jobEvent.aggregate({ where: { jobId }, _max: { seq: true } });
  return (_max.seq ?? 0) + 1;
}
