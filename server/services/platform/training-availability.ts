// Whether a job created now can train, as the web app sees it: it may run on another host than any
// runner, so it reads what each runner recorded about its trainer when it registered.
import type { Db } from '@/server/db';
import { trainerUnavailableError } from '@/server/services/platform/trainer-environment';

/**
 * A runner counts while it heartbeats (every 5 s by default). Twice the default lapse after which
 * the worker requeues its jobs: a runner that restarts keeps counting through the restart.
 */
export const RUNNER_FRESH_MS = 60_000;

export type TrainingAvailability =
  | { available: true; runners: number }
  | { available: false; runners: number; runner: string; reason: string; fix: string | null };

/**
 * Unavailable only when runners are online and none of them can train. With no runner online,
 * jobs wait in the queue as they always did: GPU hosts come and go, and a runner that starts later
 * takes them.
 */
export async function trainingAvailability({ db }: { db: Db }): Promise<TrainingAvailability> {
  const runners = await db.runner.findMany({
    where: { status: 'ONLINE', lastHeartbeatAt: { gte: new Date(Date.now() - RUNNER_FRESH_MS) } },
    select: { name: true, trainerProblem: true, trainerFix: true },
    orderBy: { lastHeartbeatAt: 'desc' },
  });
  const blocked = runners.filter((r) => r.trainerProblem);
  if (!runners.length || blocked.length < runners.length) return { available: true, runners: runners.length };
  const first = blocked[0]!;
  return { available: false, runners: runners.length, runner: first.name, reason: first.trainerProblem!, fix: first.trainerFix };
}

/** Refuses (503, `trainer_unavailable`) before anything is created or reserved. */
export async function assertTrainingAvailable({ db }: { db: Db }): Promise<void> {
  const availability = await trainingAvailability({ db });
  if (!availability.available) {
    throw trainerUnavailableError({ reason: `${availability.reason} on runner ${availability.runner}`, fix: availability.fix });
  }
}
