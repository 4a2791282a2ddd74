'use client';

import Link from 'next/link';
import { useQueries } from '@tanstack/react-query';
import { useFormatter, useTranslations } from 'next-intl';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { PageHeader } from '@/components/common/page-header';
import { StatusBadge } from '@/components/common/status-badge';
import { compareSeries, isFinalStatus, metricSeries, type JobEventLike } from '@/components/jobs/job-metrics';
import { useTRPC, useTRPCClient } from '@/lib/trpc/client';

const COLORS = ['var(--chart-1)', 'var(--chart-2)', 'var(--chart-3)', 'var(--chart-4)', 'var(--chart-5)', 'oklch(0.6 0.18 25)', 'oklch(0.6 0.15 140)', 'oklch(0.5 0.1 220)'];
const PAGE_SIZE = 1_000;
// Jobs still running are re-read this often; finished ones are read once.
const RUNNING_REFRESH_MS = 5_000;

/** Train (solid) and validation (dashed) loss of several jobs on one chart, one colour per job. */
export function JobsCompareChart({ ids }: { ids: readonly string[] }) {
  const t = useTranslations('jobs.compare');
  const format = useFormatter();
  const trpc = useTRPC();
  const client = useTRPCClient();
  const jobs = useQueries({ queries: ids.map((id) => trpc.job.get.queryOptions({ id }, { retry: false })) });
  const events = useQueries({
    queries: ids.map((id, i) => ({
      queryKey: ['jobs-compare-events', id],
      queryFn: async (): Promise<JobEventLike[]> => {
        const all: JobEventLike[] = [];
        let afterSeq = 0;
        for (;;) {
          const page = await client.job.events.query({ id, afterSeq, limit: PAGE_SIZE });
          all.push(...page.events);
          const last = page.events.at(-1);
          if (!page.hasMore || !last) return all;
          afterSeq = last.seq;
        }
      },
      retry: false,
      refetchInterval: jobs[i]?.data && !isFinalStatus(jobs[i].data.status) ? RUNNING_REFRESH_MS : false,
    })),
  });
  const data = compareSeries(events.map((e) => metricSeries(e.data ?? [])));
  const labels = ids.map((id, i) => {
    const job = jobs[i]?.data;
    return job ? (job.suffix ? `${job.suffix} (${job.id})` : job.id) : id;
  });
  const loading = events.some((e) => e.isLoading) || jobs.some((j) => j.isLoading);
  const failures = [...jobs, ...events].map((q) => q.error?.message).filter((m): m is string => Boolean(m));
  const hasValid = data.some((row) => Object.keys(row).some((k) => k.startsWith('valid_')));
  const value = (v: number) => format.number(v, { maximumFractionDigits: 4 });

  return (
    <div className="grid gap-6">
      <PageHeader
        title={t('title')}
        description={t('description', { count: ids.length })}
        eyebrow={
          <Link href="/jobs" className="underline-offset-4 hover:underline">
            {t('back')}
          </Link>
        }
      />
      {ids.length < 2 && (
        <Alert>
          <AlertDescription>{t('needTwo')}</AlertDescription>
        </Alert>
      )}
      {[...new Set(failures)].map((message) => (
        <Alert variant="destructive" key={message}>
          <AlertDescription>{message}</AlertDescription>
        </Alert>
      ))}
      <Card>
        <CardHeader>
          <CardTitle>{t('chartTitle')}</CardTitle>
        </CardHeader>
        <CardContent className="grid gap-4">
          <ul className="flex flex-wrap gap-x-6 gap-y-2 text-sm" aria-label={t('legend')} data-testid="compare-legend">
            {ids.map((id, i) => (
              <li key={id} className="flex items-center gap-2" data-testid="compare-legend-item" data-job={id}>
                <span aria-hidden className="inline-block h-0.5 w-6" style={{ background: COLORS[i % COLORS.length] }} />
                <Link href={`/jobs/${jobs[i]?.data?.id ?? id}`} className="font-mono text-xs underline-offset-4 hover:underline">
                  {labels[i]}
                </Link>
                {jobs[i]?.data && <StatusBadge status={jobs[i].data.status} />}
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
            <p className="text-muted-foreground flex h-80 items-center justify-center rounded-md border border-dashed text-sm">{t('empty')}</p>
          ) : (
            <figure className="h-80 w-full" data-testid="compare-chart" data-jobs={events.filter((e) => (e.data?.length ?? 0) > 0).length} aria-label={t('chartTitle')}>
              <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 600, height: 320 }}>
                <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" className="stroke-border" />
                  <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={{ fontSize: 12 }} />
                  <YAxis tick={{ fontSize: 12 }} width={56} tickFormatter={(v: number) => value(v)} />
                  <Tooltip
                    labelFormatter={(step) => t('step', { step: Number(step) })}
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
        </CardContent>
      </Card>
    </div>
  );
}
