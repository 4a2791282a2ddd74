import { describe, expect, it } from 'vitest';
import { compareSeries, differingKeys, finalMetrics, smoothEma, liveJobState, metricSeries, presentSeries, progressPercent, readProgress, type JobEventLike } from '@/components/jobs/job-metrics';

const train = (seq: number, step: number, loss: number, accuracy?: number): JobEventLike => ({
  seq,
  type: 'metrics',
  data: { step, total_steps: 10, train_loss: loss, ...(accuracy !== undefined ? { train_mean_token_accuracy: accuracy } : {}), learning_rate: 2e-4 },
});

describe('metricSeries', () => {
  it('merges train, validation and full validation metrics of a step, in step order', () => {
    const points = metricSeries([
      { seq: 1, type: 'message', data: {} },
      train(3, 2, 1.5, 0.4),
      train(2, 1, 2.0),
      { seq: 4, type: 'metrics', data: { step: 2, valid_loss: 1.7, valid_mean_token_accuracy: 0.35 } },
      { seq: 5, type: 'metrics', data: { step: 2, full_valid_loss: 1.8, full_valid_mean_token_accuracy: 0.33 } },
    ]);
    expect(points).toEqual([
      { step: 1, trainLoss: 2.0 },
      { step: 2, trainLoss: 1.5, trainAccuracy: 0.4, validLoss: 1.7, validAccuracy: 0.35, fullValidLoss: 1.8, fullValidAccuracy: 0.33 },
    ]);
    expect([...presentSeries(points)].sort()).toEqual(['fullValidAccuracy', 'fullValidLoss', 'trainAccuracy', 'trainLoss', 'validAccuracy', 'validLoss']);
  });

  it('reads the preference-tuning metrics of a DPO step', () => {
    const points = metricSeries([
      { seq: 1, type: 'metrics', data: { step: 1, train_loss: 0.69, rewards_chosen: 0.2, rewards_rejected: -0.1, reward_margin: 0.3, preference_accuracy: 0.75 } },
    ]);
    expect(points).toEqual([{ step: 1, trainLoss: 0.69, rewardsChosen: 0.2, rewardsRejected: -0.1, rewardMargin: 0.3, preferenceAccuracy: 0.75 }]);
    expect(presentSeries(points).has('rewardMargin')).toBe(true);
  });

  it('keeps the later value when a resumed job logs a step again, and skips events without a numeric step or value', () => {
    const points = metricSeries([
      train(9, 3, 0.9),
      train(4, 3, 1.1),
      { seq: 10, type: 'metrics', data: { step: 'x', train_loss: 5 } },
      { seq: 11, type: 'metrics', data: { step: 4, train_loss: null, valid_loss: Number.NaN } },
    ]);
    expect(points).toEqual([{ step: 3, trainLoss: 0.9 }, { step: 4 }]);
  });
});

describe('compareSeries', () => {
  it('puts each job under its own keys on one step axis, with full validation where no plain one exists', () => {
    const a = metricSeries([train(1, 1, 2), train(2, 2, 1.5), { seq: 3, type: 'metrics', data: { step: 2, valid_loss: 1.6 } }]);
    const b = metricSeries([train(1, 2, 3), { seq: 2, type: 'metrics', data: { step: 3, full_valid_loss: 2.5 } }]);
    expect(compareSeries([a, b])).toEqual([
      { x: 1, train_0: 2 },
      { x: 2, train_0: 1.5, valid_0: 1.6, train_1: 3 },
      { x: 3, valid_1: 2.5 },
    ]);
  });

  it('places points by epoch: the reported one, else step over steps per epoch; a job with neither has none', () => {
    const a = metricSeries([{ seq: 1, type: 'metrics', data: { step: 5, epoch: 0.5, train_loss: 2 } }, { seq: 2, type: 'metrics', data: { step: 10, epoch: 1, train_loss: 1 } }]);
    const b = metricSeries([train(1, 4, 3), train(2, 8, 2)]);
    const c = metricSeries([train(1, 1, 9)]);
    expect(compareSeries([a, b, c], { axis: 'epoch', stepsPerEpoch: [null, 4, null] })).toEqual([
      { x: 0.5, train_0: 2 },
      { x: 1, train_0: 1, train_1: 3 },
      { x: 2, train_1: 2 },
    ]);
  });

  it('smooths each curve with a debiased moving average that starts at the first value', () => {
    expect(smoothEma([2, 2, 2], 0.9)).toEqual([2, 2, 2].map((v) => expect.closeTo(v, 10)));
    const smoothed = smoothEma([4, 0, 4, 0], 0.5);
    expect(smoothed[0]).toBeCloseTo(4);
    expect(Math.max(...smoothed.slice(1)) - Math.min(...smoothed.slice(1))).toBeLessThan(4);
    expect(smoothEma([1, 3], 0)).toEqual([1, 3]);
    const a = metricSeries([train(1, 1, 4), train(2, 2, 0)]);
    expect(compareSeries([a], { smoothing: 0.5 })[1]!.train_0).toBeCloseTo(smoothEma([4, 0], 0.5)[1]!);
  });
});

describe('finalMetrics and differingKeys', () => {
  it('reads the last train loss, the last and the best validation loss', () => {
    const points = metricSeries([train(1, 1, 2), { seq: 2, type: 'metrics', data: { step: 1, valid_loss: 1.5 } }, train(3, 2, 1), { seq: 4, type: 'metrics', data: { step: 2, full_valid_loss: 1.7 } }]);
    expect(finalMetrics(points)).toEqual({ trainLoss: 1, validLoss: 1.7, bestValidLoss: 1.5 });
    expect(finalMetrics([])).toEqual({ trainLoss: null, validLoss: null, bestValidLoss: null });
  });

  it('names the settings whose values differ, counting a missing one as auto', () => {
    const runs = [{ n_epochs: 3, lora_rank: 8, lr_scheduler: 'auto' }, { n_epochs: 3, lora_rank: 16 }, { n_epochs: 3, lora_rank: 8, lr_scheduler: 'auto' }];
    expect([...differingKeys(['n_epochs', 'lora_rank', 'lr_scheduler'], runs)]).toEqual(['lora_rank']);
  });
});

describe('progress', () => {
  it('reads the runner progress JSON defensively and turns it into a percentage', () => {
    expect(readProgress(null)).toBeNull();
    const progress = readProgress({ step: 5, totalSteps: 20, etaSeconds: 12, trainLoss: 'n/a' });
    expect(progress).toMatchObject({ step: 5, totalSteps: 20, etaSeconds: 12, trainLoss: null, epoch: null });
    expect(progressPercent(progress)).toBe(25);
    expect(progressPercent({ step: 30, totalSteps: 20 })).toBe(100);
    expect(progressPercent({ step: 3, totalSteps: 0 })).toBe(0);
    expect(progressPercent(null)).toBe(0);
  });
});

describe('liveJobState', () => {
  const stored = readProgress({ step: 1, totalSteps: 100, etaSeconds: 300, tokensPerSecond: 500 });
  const step = (seq: number, n: number): JobEventLike => ({ seq, type: 'metrics', data: { step: n, total_steps: 100, train_loss: 2 - n / 100, eta_s: 100 - n, tokens_per_s: 900 } });

  it('takes the step the event stream has reached when the stored row lags it', () => {
    const { status, progress } = liveJobState('running', stored, [step(1, 1), step(30, 18), step(12, 7)]);
    expect(status).toBe('running');
    expect(progress).toMatchObject({ step: 18, totalSteps: 100, etaSeconds: 82, tokensPerSecond: 900 });
    expect(progressPercent(progress)).toBe(18);
  });

  it('reads a queued job whose trainer already logged steps as running, and keeps a final status and its stored progress', () => {
    expect(liveJobState('queued', null, [step(7, 7)])).toMatchObject({ status: 'running', progress: { step: 7 } });
    expect(liveJobState('queued', null, [{ seq: 1, type: 'message', data: {} }])).toEqual({ status: 'queued', progress: null });
    const done = readProgress({ step: 100, totalSteps: 100 });
    expect(liveJobState('succeeded', done, [step(7, 7)])).toEqual({ status: 'succeeded', progress: done });
    expect(liveJobState('cancelled', stored, [step(9, 9)])).toEqual({ status: 'cancelled', progress: stored });
  });

  it('keeps the stored progress when it is as far as the stream or further', () => {
    const ahead = readProgress({ step: 20, totalSteps: 100, etaSeconds: 80 });
    expect(liveJobState('running', ahead, [step(5, 18)]).progress).toBe(ahead);
  });
});
