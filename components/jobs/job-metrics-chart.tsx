'use client';

import { useMemo } from 'react';
import { useFormatter, useTranslations } from 'next-intl';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs';
import { presentSeries, type MetricPoint } from '@/components/jobs/job-metrics';

type SeriesKey = keyof Omit<MetricPoint, 'step'>;

const LOSS: ReadonlyArray<{ key: SeriesKey; color: string; dashed?: boolean }> = [
  { key: 'trainLoss', color: 'var(--chart-1)' },
  { key: 'validLoss', color: 'var(--chart-2)' },
  { key: 'fullValidLoss', color: 'var(--chart-3)', dashed: true },
];
const ACCURACY: ReadonlyArray<{ key: SeriesKey; color: string; dashed?: boolean }> = [
  { key: 'trainAccuracy', color: 'var(--chart-1)' },
  { key: 'validAccuracy', color: 'var(--chart-2)' },
  { key: 'fullValidAccuracy', color: 'var(--chart-3)', dashed: true },
  { key: 'preferenceAccuracy', color: 'var(--chart-4)' },
];
const REWARDS: ReadonlyArray<{ key: SeriesKey; color: string; dashed?: boolean }> = [
  { key: 'rewardsChosen', color: 'var(--chart-1)' },
  { key: 'rewardsRejected', color: 'var(--chart-2)' },
  { key: 'rewardMargin', color: 'var(--chart-3)', dashed: true },
];

/** Loss and token accuracy per step, on two tabs; it redraws as points arrive (no animation). */
export function JobMetricsChart({ points }: { points: readonly MetricPoint[] }) {
  const t = useTranslations('jobs.chart');
  const present = useMemo(() => presentSeries(points), [points]);
  const hasAccuracy = ACCURACY.some((s) => present.has(s.key));
  const hasRewards = REWARDS.some((s) => present.has(s.key));
  const trainPoints = points.filter((p) => p.trainLoss !== undefined).length;
  const validPoints = points.filter((p) => p.validLoss !== undefined || p.fullValidLoss !== undefined).length;

  if (points.length === 0) {
    return (
      <div className="text-muted-foreground flex h-72 items-center justify-center rounded-md border border-dashed text-sm" data-testid="loss-chart" data-points={0}>
        {t('empty')}
      </div>
    );
  }

  return (
    <Tabs defaultValue="loss">
      {/* Three tabs do not fit a phone's width in one row. */}
      <TabsList className="h-auto max-w-full flex-wrap">
        <TabsTrigger value="loss">{t('loss')}</TabsTrigger>
        <TabsTrigger value="accuracy" disabled={!hasAccuracy}>
          {t('accuracy')}
        </TabsTrigger>
        {hasRewards && <TabsTrigger value="rewards">{t('rewards')}</TabsTrigger>}
      </TabsList>
      <TabsContent value="loss">
        <MetricLines points={points} series={LOSS.filter((s) => present.has(s.key))} testId="loss-chart" trainPoints={trainPoints} validPoints={validPoints} label={t('lossLabel')} />
      </TabsContent>
      <TabsContent value="accuracy">
        <MetricLines points={points} series={ACCURACY.filter((s) => present.has(s.key))} testId="accuracy-chart" label={t('accuracyLabel')} percent />
      </TabsContent>
      {hasRewards && (
        <TabsContent value="rewards">
          <MetricLines points={points} series={REWARDS.filter((s) => present.has(s.key))} testId="rewards-chart" label={t('rewardsLabel')} />
        </TabsContent>
      )}
    </Tabs>
  );
}

function MetricLines({
  points,
  series,
  testId,
  label,
  trainPoints,
  validPoints,
  percent = false,
}: {
  points: readonly MetricPoint[];
  series: ReadonlyArray<{ key: SeriesKey; color: string; dashed?: boolean }>;
  testId: string;
  label: string;
  trainPoints?: number;
  validPoints?: number;
  percent?: boolean;
}) {
  const t = useTranslations('jobs.chart');
  const format = useFormatter();
  const value = (v: number) => (percent ? format.number(v, { style: 'percent', maximumFractionDigits: 1 }) : format.number(v, { maximumFractionDigits: 4 }));
  const latest = [...points].reverse().find((p) => p.trainLoss !== undefined);
  return (
    <figure className="grid gap-2" data-testid={testId} data-points={trainPoints} data-valid-points={validPoints} aria-label={label}>
      <div className="h-72 w-full">
        <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 600, height: 288 }}>
          <LineChart data={points as MetricPoint[]} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" className="stroke-border" />
            <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={{ fontSize: 12 }} />
            <YAxis tick={{ fontSize: 12 }} width={56} domain={percent ? [0, 1] : ['auto', 'auto']} tickFormatter={(v: number) => value(v)} />
            <Tooltip
              labelFormatter={(step) => t('step', { step: Number(step) })}
              formatter={(v, name) => [typeof v === 'number' ? value(v) : String(v), name]}
              contentStyle={{ background: 'var(--popover)', borderColor: 'var(--border)', color: 'var(--popover-foreground)', fontSize: 12 }}
            />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {series.map((s) => (
              <Line
                key={s.key}
                dataKey={s.key}
                name={t(`series.${s.key}`)}
                stroke={s.color}
                strokeWidth={2}
                strokeDasharray={s.dashed ? '5 3' : undefined}
                // Validation points are sparse: mark them and join them across the steps in between.
                dot={s.key.startsWith('train') ? false : { r: 3 }}
                connectNulls
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      {latest?.trainLoss !== undefined && !percent && (
        <figcaption className="text-muted-foreground text-xs">{t('latest', { step: latest.step, loss: value(latest.trainLoss) })}</figcaption>
      )}
    </figure>
  );
}
