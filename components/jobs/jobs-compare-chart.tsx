'use client';

import Link from 'next/link';
import { useFormatter, useTranslations } from 'next-intl';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Skeleton } from '@/components/ui/skeleton';
import { StatusBadge } from '@/components/common/status-badge';
import type { CompareAxis, ComparePoint } from '@/components/jobs/job-metrics';

const COLORS = ['var(--chart-1)', 'var(--chart-2)', 'var(--chart-3)', 'var(--chart-4)', 'var(--chart-5)', 'oklch(0.6 0.18 25)', 'oklch(0.6 0.15 140)', 'oklch(0.5 0.1 220)'];

/** Train (solid) and validation (dashed) loss of several jobs on one chart, one colour per job, by step or by epoch. */
export function JobsCompareChart({
  ids,
  labels,
  statuses,
  data,
  axis,
  loading,
  jobsWithPoints,
  smoothing,
}: {
  ids: readonly string[];
  labels: readonly string[];
  statuses: ReadonlyArray<string | null>;
  data: ComparePoint[];
  axis: CompareAxis;
  loading: boolean;
  jobsWithPoints: number;
  smoothing: number;
}) {
  const t = useTranslations('jobs.compare');
  const format = useFormatter();
  const hasValid = data.some((row) => Object.keys(row).some((k) => k.startsWith('valid_')));
  const value = (v: number) => format.number(v, { maximumFractionDigits: 4 });
  const xLabel = (x: number) => (axis === 'step' ? t('step', { step: x }) : t('epoch', { epoch: format.number(x, { maximumFractionDigits: 2 }) }));

  return (
    <>
      <ul className="flex flex-wrap gap-x-6 gap-y-2 text-sm" aria-label={t('legend')} data-testid="compare-legend">
        {ids.map((id, i) => (
          <li key={id} className="flex min-w-0 items-center gap-2" data-testid="compare-legend-item" data-job={id}>
            <span aria-hidden className="inline-block h-0.5 w-6 shrink-0" style={{ background: COLORS[i % COLORS.length] }} />
            <Link href={`/jobs/${id}`} className="min-w-0 font-mono text-xs break-all underline-offset-4 hover:underline">
              {labels[i]}
            </Link>
            {statuses[i] && <StatusBadge status={statuses[i]} />}
          </li>
        ))}
        <li className="text-muted-foreground flex items-center gap-4 text-xs">
          <span className="flex items-center gap-1.5">
            <svg aria-hidden width="24" height="2">
              <line x1="0" y1="1" x2="24" y2="1" stroke="currentColor" strokeWidth="2" />
            </svg>
            {t('train')}
          </span>
          {hasValid && (
            <span className="flex items-center gap-1.5">
              <svg aria-hidden width="24" height="2">
                <line x1="0" y1="1" x2="24" y2="1" stroke="currentColor" strokeWidth="2" strokeDasharray="5 3" />
              </svg>
              {t('valid')}
            </span>
          )}
        </li>
      </ul>
      {loading ? (
        <Skeleton className="h-80 w-full" />
      ) : data.length === 0 ? (
        <p className="text-muted-foreground flex h-80 items-center justify-center rounded-md border border-dashed p-4 text-center text-sm">{t('empty')}</p>
      ) : (
        <figure className="h-80 w-full" data-testid="compare-chart" data-jobs={jobsWithPoints} data-axis={axis} data-smoothing={smoothing} data-points={data.length} aria-label={t('chartTitle')}>
          <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 600, height: 320 }}>
            <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" className="stroke-border" />
              <XAxis
                dataKey="x"
                type="number"
                domain={['dataMin', 'dataMax']}
                allowDecimals={axis === 'epoch'}
                tick={{ fontSize: 12 }}
                tickFormatter={(x: number) => format.number(x, { maximumFractionDigits: 2 })}
              />
              <YAxis tick={{ fontSize: 12 }} width={56} tickFormatter={(v: number) => value(v)} />
              <Tooltip
                labelFormatter={(x) => xLabel(Number(x))}
                formatter={(v, name) => [typeof v === 'number' ? value(v) : String(v), name]}
                contentStyle={{ background: 'var(--popover)', borderColor: 'var(--border)', color: 'var(--popover-foreground)', fontSize: 12 }}
              />
              {ids.flatMap((id, i) => [
                <Line
                  key={`train_${id}`}
                  dataKey={`train_${i}`}
                  name={t('trainOf', { job: labels[i] ?? id })}
                  stroke={COLORS[i % COLORS.length]}
                  strokeWidth={2}
                  dot={false}
                  connectNulls
                  isAnimationActive={false}
                />,
                <Line
                  key={`valid_${id}`}
                  dataKey={`valid_${i}`}
                  name={t('validOf', { job: labels[i] ?? id })}
                  stroke={COLORS[i % COLORS.length]}
                  strokeWidth={2}
                  strokeDasharray="5 3"
                  dot={{ r: 2.5 }}
                  connectNulls
                  isAnimationActive={false}
                />,
              ])}
            </LineChart>
          </ResponsiveContainer>
        </figure>
      )}
    </>
  );
}
