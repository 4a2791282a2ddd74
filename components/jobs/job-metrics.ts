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
  /** Fractional epoch at this step, as the trainer reported it (events written before it did have none). */
  epoch?: number;
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
    if (finite(event.data.epoch)) point.epoch = event.data.epoch;
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
/** One x of the comparison chart (a step, or an epoch) and each job's losses there. */
export type ComparePoint = { x: number } & Partial<Record<CompareKey, number>>;
export type CompareAxis = 'step' | 'epoch';

export interface CompareOptions {
  axis?: CompareAxis;
  /** Exponential moving average weight, 0 (raw) to below 1, applied to each job's train and validation curves. */
  smoothing?: number;
  /** Per job, its optimizer steps per epoch, for points whose epoch the trainer did not report; null when unknown. */
  stepsPerEpoch?: ReadonlyArray<number | null | undefined>;
}

/**
 * Exponential moving average with TensorBoard's debiasing: the first values are not pulled toward
 * zero, so the smoothed curve starts where the raw one does.
 */
export function smoothEma(values: readonly number[], weight: number): number[] {
  if (weight <= 0) return [...values];
  const w = Math.min(weight, 0.999);
  let last = 0;
  return values.map((value, i) => {
    last = last * w + (1 - w) * value;
    return last / (1 - w ** (i + 1));
  });
}

/** Where a job's point sits on the epoch axis: its reported epoch, else its step over the steps per epoch; null when neither is known. */
function epochOf(point: MetricPoint, stepsPerEpoch: number | null | undefined): number | null {
  if (point.epoch !== undefined) return point.epoch;
  return stepsPerEpoch && stepsPerEpoch > 0 ? point.step / stepsPerEpoch : null;
}

/**
 * Several jobs' train and validation losses on one axis, for one chart: job i's values sit under
 * `train_i` and `valid_i` (full validation counts as validation where no plain one exists). On the
 * epoch axis, a job whose epochs are unknown has no points.
 */
export function compareSeries(jobs: ReadonlyArray<readonly MetricPoint[]>, { axis = 'step', smoothing = 0, stepsPerEpoch = [] }: CompareOptions = {}): ComparePoint[] {
  const byX = new Map<number, ComparePoint>();
  jobs.forEach((points, index) => {
    const placed = points.flatMap((p) => {
      const x = axis === 'step' ? p.step : epochOf(p, stepsPerEpoch[index]);
      return x === null ? [] : [{ x: Number(x.toFixed(6)), train: p.trainLoss, valid: p.validLoss ?? p.fullValidLoss }];
    });
    for (const series of ['train', 'valid'] as const) {
      const present = placed.filter((p) => p[series] !== undefined);
      const values = smoothEma(present.map((p) => p[series]!), smoothing);
      present.forEach((p, i) => {
        const row = byX.get(p.x) ?? { x: p.x };
        row[`${series}_${index}`] = values[i];
        byX.set(p.x, row);
      });
    }
  });
  return [...byX.values()].sort((a, b) => a.x - b.x);
}

/** What a run ended with: its last train loss, its last and its lowest validation loss (null where it has none). */
export function finalMetrics(points: readonly MetricPoint[]): { trainLoss: number | null; validLoss: number | null; bestValidLoss: number | null } {
  let trainLoss: number | null = null;
  let validLoss: number | null = null;
  let bestValidLoss: number | null = null;
  for (const p of points) {
    if (p.trainLoss !== undefined) trainLoss = p.trainLoss;
    const valid = p.validLoss ?? p.fullValidLoss;
    if (valid !== undefined) {
      validLoss = valid;
      bestValidLoss = bestValidLoss === null ? valid : Math.min(bestValidLoss, valid);
    }
  }
  return { trainLoss, validLoss, bestValidLoss };
}

/** The settings that differ between runs: a key's values compared as JSON, "auto" and missing alike. */
export function differingKeys<K extends string>(keys: readonly K[], runs: ReadonlyArray<Partial<Record<K, unknown>>>): Set<K> {
  const differ = new Set<K>();
  for (const key of keys) {
    const seen = new Set(runs.map((run) => JSON.stringify(run[key] ?? 'auto')));
    if (seen.size > 1) differ.add(key);
  }
  return differ;
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
