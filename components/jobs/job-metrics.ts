// Turns a job's events into chart series. Pure, so the job page, the compare view and their
// tests read metrics the same way.

/** The part of a fine_tuning.job.event the charts and the event log need (job.events returns more). */
export interface JobEventLike {
  seq: number;
  type: 'message' | 'metrics' | 'log';
  data: Record<string, unknown>;
}

/** One step of a job: train metrics at every logged step, validation metrics at evaluation steps. */
export interface MetricPoint {
  step: number;
  trainLoss?: number;
  trainAccuracy?: number;
  validLoss?: number;
  validAccuracy?: number;
  fullValidLoss?: number;
  fullValidAccuracy?: number;
  /** Preference tuning (DPO) only. */
  rewardsChosen?: number;
  rewardsRejected?: number;
  rewardMargin?: number;
  preferenceAccuracy?: number;
}

const FIELDS: ReadonlyArray<[keyof Omit<MetricPoint, 'step'>, string]> = [
  ['trainLoss', 'train_loss'],
  ['trainAccuracy', 'train_mean_token_accuracy'],
  ['validLoss', 'valid_loss'],
  ['validAccuracy', 'valid_mean_token_accuracy'],
  ['fullValidLoss', 'full_valid_loss'],
  ['fullValidAccuracy', 'full_valid_mean_token_accuracy'],
  ['rewardsChosen', 'rewards_chosen'],
  ['rewardsRejected', 'rewards_rejected'],
  ['rewardMargin', 'reward_margin'],
  ['preferenceAccuracy', 'preference_accuracy'],
];

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * Metric points by step, ascending. Events are read in seq order, so when a job resumed from a
 * checkpoint and logged a step twice, the later run's value wins.
 */
export function metricSeries(events: readonly JobEventLike[]): MetricPoint[] {
  const byStep = new Map<number, MetricPoint>();
  const ordered = [...events].sort((a, b) => a.seq - b.seq);
  for (const event of ordered) {
    if (event.type !== 'metrics' || !finite(event.data.step)) continue;
    const step = event.data.step;
    const point = byStep.get(step) ?? { step };
    for (const [key, field] of FIELDS) {
      const value = event.data[field];
      if (finite(value)) point[key] = value;
    }
    byStep.set(step, point);
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** Which series have at least one value, so empty ones get no line and no legend entry. */
export function presentSeries(points: readonly MetricPoint[]): Set<keyof Omit<MetricPoint, 'step'>> {
  const present = new Set<keyof Omit<MetricPoint, 'step'>>();
  for (const point of points) for (const [key] of FIELDS) if (point[key] !== undefined) present.add(key);
  return present;
}

export type CompareKey = `train_${number}` | `valid_${number}`;
export type ComparePoint = { step: number } & Partial<Record<CompareKey, number>>;

/**
 * Several jobs' train and validation losses on one step axis, for one chart: job i's values sit
 * under `train_i` and `valid_i` (full validation counts as validation where no plain one exists).
 */
export function compareSeries(jobs: ReadonlyArray<readonly MetricPoint[]>): ComparePoint[] {
  const byStep = new Map<number, ComparePoint>();
  jobs.forEach((points, index) => {
    for (const p of points) {
      const row = byStep.get(p.step) ?? { step: p.step };
      if (p.trainLoss !== undefined) row[`train_${index}`] = p.trainLoss;
      const valid = p.validLoss ?? p.fullValidLoss;
      if (valid !== undefined) row[`valid_${index}`] = valid;
      byStep.set(p.step, row);
    }
  });
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** Progress as a percentage of steps done; 0 before the trainer reported its total. */
export function progressPercent(progress: { step?: number | null; totalSteps?: number | null } | null | undefined): number {
  if (!progress || !finite(progress.step) || !finite(progress.totalSteps) || progress.totalSteps <= 0) return 0;
  return Math.min(100, (progress.step / progress.totalSteps) * 100);
}

/** More lines than this make the comparison chart unreadable. */
export const MAX_COMPARED = 8;

export const FINAL_STATUSES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);
export const isFinalStatus = (status: string) => FINAL_STATUSES.has(status);

/** TrainingJob.progress as the runner writes it (gpu-runner/job-loop/run-training-job.ts). */
export interface JobProgress {
  step: number | null;
  totalSteps: number | null;
  epoch: number | null;
  etaSeconds: number | null;
  trainLoss: number | null;
  validLoss: number | null;
  tokensPerSecond: number | null;
}

/** Reads the progress JSON defensively: every field may be missing while a job starts. */
export function readProgress(value: unknown): JobProgress | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const num = (key: string) => (finite(v[key]) ? (v[key] as number) : null);
  return {
    step: num('step'),
    totalSteps: num('totalSteps'),
    epoch: num('epoch'),
    etaSeconds: num('etaSeconds'),
    trainLoss: num('trainLoss'),
    validLoss: num('validLoss'),
    tokensPerSecond: num('tokensPerSecond'),
  };
}

/**
 * The job's status and progress as one state: the stored row (`status`, `progress`) and its event
 * stream reach the page by different paths, so whichever is further ahead wins. A metrics event
 * past the stored step moves the progress on, and a job whose trainer already logged steps reads
 * as running even while the row still says queued. Final statuses always come from the row.
 */
export function liveJobState(status: string, stored: JobProgress | null, events: readonly JobEventLike[]): { status: string; progress: JobProgress | null } {
  let latest: Record<string, unknown> | null = null;
  for (const event of events) {
    if (event.type !== 'metrics' || !finite(event.data.step) || !finite(event.data.total_steps)) continue;
    if (!latest || (event.data.step as number) >= (latest.step as number)) latest = event.data;
  }
  const liveStatus = !isFinalStatus(status) && latest && status !== 'running' ? 'running' : status;
  if (!latest || isFinalStatus(status) || (stored?.step !== null && stored?.step !== undefined && stored.step >= (latest.step as number))) {
    return { status: liveStatus, progress: stored };
  }
  const num = (value: unknown, fallback: number | null) => (finite(value) ? value : fallback);
  return {
    status: liveStatus,
    progress: {
      step: latest.step as number,
      totalSteps: latest.total_steps as number,
      epoch: num(latest.epoch, stored?.epoch ?? null),
      etaSeconds: num(latest.eta_s, stored?.etaSeconds ?? null),
      trainLoss: num(latest.train_loss, stored?.trainLoss ?? null),
      validLoss: num(latest.valid_loss, stored?.validLoss ?? null),
      tokensPerSecond: num(latest.tokens_per_s, stored?.tokensPerSecond ?? null),
    },
  };
}
