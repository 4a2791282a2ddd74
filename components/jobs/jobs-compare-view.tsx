'use client';

// The compare view: runs chosen from the filtered jobs list, their loss curves (smoothed, by step
// or by epoch), what each ended with, and a table of their settings with the differences marked.
import { Fragment, useId, useMemo, useState } from 'react';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { keepPreviousData, useQueries, useQuery } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { useFormatter, useTranslations } from 'next-intl';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Checkbox } from '@/components/ui/checkbox';
import { Skeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { PageHeader } from '@/components/common/page-header';
import { StatusBadge } from '@/components/common/status-badge';
import { useFormatDuration } from '@/components/common/use-format-duration';
import { JobFilters, useJobFilters } from '@/components/jobs/job-filters';
import { compareSeries, differingKeys, finalMetrics, isFinalStatus, MAX_COMPARED, metricSeries, readProgress, type CompareAxis, type JobEventLike } from '@/components/jobs/job-metrics';
import { JobsCompareChart } from '@/components/jobs/jobs-compare-chart';
import { HYPERPARAMETER_KEYS, useHyperparameterFormat, type HyperparameterKey } from '@/components/jobs/use-hyperparameter-format';
import { useTRPC, useTRPCClient } from '@/lib/trpc/client';
import { cn } from '@/lib/utils';
import type { AppRouter } from '@/server/api/root';

type Job = inferRouterOutputs<AppRouter>['job']['get'];

const EVENTS_PAGE = 1_000;
const PICKER_SIZE = 50;
// Jobs still running are re-read this often; finished ones are read once.
const RUNNING_REFRESH_MS = 5_000;
const SETTING_KEYS = ['model', 'training_file', 'preset', 'method', 'seed', ...HYPERPARAMETER_KEYS] as const;
type SettingKey = (typeof SETTING_KEYS)[number];

export function JobsCompareView({ ids }: { ids: readonly string[] }) {
  const t = useTranslations('jobs.compare');
  const trpc = useTRPC();
  const client = useTRPCClient();
  const router = useRouter();
  const pathname = usePathname();
  const [axis, setAxis] = useState<CompareAxis>('step');
  const [smoothing, setSmoothing] = useState(0);

  const jobs = useQueries({ queries: ids.map((id) => trpc.job.get.queryOptions({ id }, { retry: false, refetchInterval: (q) => (q.state.data && !isFinalStatus(q.state.data.status) ? RUNNING_REFRESH_MS : false) })) });
  const events = useQueries({
    queries: ids.map((id, i) => ({
      queryKey: ['jobs-compare-events', id],
      queryFn: async (): Promise<JobEventLike[]> => {
        const all: JobEventLike[] = [];
        let afterSeq = 0;
        for (;;) {
          const page = await client.job.events.query({ id, afterSeq, limit: EVENTS_PAGE });
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
  const series = useMemo(() => events.map((e) => metricSeries(e.data ?? [])), [events]);
  const stepsPerEpoch = jobs.map((q) => {
    const job = q.data;
    const total = readProgress(job?.progress)?.totalSteps;
    const epochs = job?.hyperparameters.n_epochs;
    return typeof total === 'number' && typeof epochs === 'number' && epochs > 0 ? total / epochs : null;
  });
  const data = compareSeries(series, { axis, smoothing, stepsPerEpoch });
  const labels = ids.map((id, i) => {
    const job = jobs[i]?.data;
    return job ? (job.suffix ? `${job.suffix} (${job.id})` : job.id) : id;
  });
  const loading = events.some((e) => e.isLoading) || jobs.some((j) => j.isLoading);
  const failures = [...jobs, ...events].map((q) => q.error?.message).filter((m): m is string => Boolean(m));
  const missingEpochs = axis === 'epoch' && series.some((points, i) => points.length > 0 && stepsPerEpoch[i] === null && points.every((p) => p.epoch === undefined));

  const choose = (next: string[]) => {
    const query = next.length ? `?ids=${next.map(encodeURIComponent).join(',')}` : '';
    router.replace(`${pathname}${query}`, { scroll: false });
  };

  return (
    <div className="grid grid-cols-[minmax(0,1fr)] gap-6">
      <PageHeader
        title={t('title')}
        description={t('description', { count: ids.length })}
        eyebrow={
          <Link href="/jobs" className="underline-offset-4 hover:underline">
            {t('back')}
          </Link>
        }
      />
      <RunPicker ids={ids} onChange={choose} />
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
      {ids.length > 0 && (
        <>
          <Card>
            <CardHeader>
              <CardTitle>{t('chartTitle')}</CardTitle>
            </CardHeader>
            <CardContent className="grid gap-4">
              <ChartControls axis={axis} onAxis={setAxis} smoothing={smoothing} onSmoothing={setSmoothing} />
              {missingEpochs && <p className="text-muted-foreground text-sm">{t('epochUnknown')}</p>}
              <JobsCompareChart
                ids={ids}
                labels={labels}
                statuses={jobs.map((q) => q.data?.status ?? null)}
                data={data}
                axis={axis}
                loading={loading}
                jobsWithPoints={series.filter((s) => s.length > 0).length}
                smoothing={smoothing}
              />
            </CardContent>
          </Card>
          <ResultsCard ids={ids} jobs={jobs.map((q) => q.data ?? null)} finals={series.map(finalMetrics)} />
          <SettingsCard ids={ids} jobs={jobs.map((q) => q.data ?? null)} />
        </>
      )}
    </div>
  );
}

/** The jobs list with its filters, each run ticked in or out of the comparison. */
function RunPicker({ ids, onChange }: { ids: readonly string[]; onChange: (ids: string[]) => void }) {
  const t = useTranslations('jobs.compare');
  const trpc = useTRPC();
  const { filter, query, change } = useJobFilters();
  const list = useQuery(trpc.job.list.queryOptions({ limit: PICKER_SIZE, ...query }, { placeholderData: keepPreviousData }));
  const full = ids.length >= MAX_COMPARED;
  const toggle = (id: string, on: boolean) => onChange(on ? [...ids, id] : ids.filter((x) => x !== id));
  return (
    <Card data-testid="compare-picker">
      <CardHeader>
        <CardTitle>{t('pickerTitle')}</CardTitle>
        <CardDescription aria-live="polite">{t('pickerCount', { count: ids.length, max: MAX_COMPARED })}</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        <JobFilters idPrefix="compare" filter={filter} onChange={change} />
        {list.isLoading ? (
          <Skeleton className="h-24 w-full" />
        ) : !list.data?.jobs.length ? (
          <p className="text-muted-foreground text-sm" data-testid="compare-picker-empty">
            {t.rich('pickerNone', { link: (chunks) => <Link href="/jobs/new" className="text-foreground underline underline-offset-4">{chunks}</Link> })}
          </p>
        ) : (
          <ul className="grid max-h-72 gap-1 overflow-y-auto rounded-md border p-1" aria-label={t('pickerTitle')}>
            {list.data.jobs.map((job) => {
              const checked = ids.includes(job.id);
              return (
                <li key={job.id}>
                  <label
                    className={cn('hover:bg-accent/60 flex min-w-0 cursor-pointer flex-wrap items-center gap-x-3 gap-y-1 rounded px-2 py-1.5 text-sm', checked && 'bg-accent')}
                    data-testid="compare-pick"
                    data-job={job.id}
                  >
                    <Checkbox checked={checked} disabled={!checked && full} aria-label={t('pick', { job: job.suffix ? `${job.suffix} (${job.id})` : job.id })} onCheckedChange={(on) => toggle(job.id, on === true)} />
                    <span className="min-w-0 truncate font-medium">{job.suffix ?? job.id}</span>
                    {job.suffix && <span className="text-muted-foreground min-w-0 truncate font-mono text-xs">{job.id}</span>}
                    <StatusBadge status={job.status} />
                    <span className="text-muted-foreground min-w-0 truncate font-mono text-xs">{job.model}</span>
                  </label>
                </li>
              );
            })}
          </ul>
        )}
        {ids.length > 0 && (
          <div>
            <Button type="button" variant="outline" size="sm" onClick={() => onChange([])}>
              {t('clear')}
            </Button>
          </div>
        )}
      </CardContent>
    </Card>
  );
}

function ChartControls({ axis, onAxis, smoothing, onSmoothing }: { axis: CompareAxis; onAxis: (axis: CompareAxis) => void; smoothing: number; onSmoothing: (value: number) => void }) {
  const t = useTranslations('jobs.compare');
  const format = useFormatter();
  const id = useId();
  return (
    <div className="flex flex-wrap items-end gap-x-8 gap-y-4">
      <fieldset className="grid gap-2">
        <legend className="mb-2 text-sm leading-none font-medium">{t('axis')}</legend>
        <div className="bg-muted inline-flex gap-1 rounded-lg p-1">
          {(['step', 'epoch'] as const).map((value) => (
            <label
              key={value}
              className={cn(
                'has-[:focus-visible]:ring-ring/50 cursor-pointer rounded-md px-3 py-1 text-sm has-[:focus-visible]:ring-[3px]',
                axis === value ? 'bg-background shadow-xs' : 'hover:bg-background/60',
              )}
            >
              <input type="radio" className="sr-only" name={`${id}-axis`} value={value} checked={axis === value} onChange={() => onAxis(value)} />
              {t(value === 'step' ? 'axisStep' : 'axisEpoch')}
            </label>
          ))}
        </div>
      </fieldset>
      <div className="grid min-w-48 flex-1 gap-2 sm:max-w-sm">
        <div className="flex items-center justify-between gap-2">
          <label htmlFor={`${id}-smoothing`} className="text-sm leading-none font-medium">
            {t('smoothing')}
          </label>
          <output htmlFor={`${id}-smoothing`} className="text-muted-foreground text-sm tabular-nums" data-testid="smoothing-value">
            {format.number(smoothing, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}
          </output>
        </div>
        <input
          id={`${id}-smoothing`}
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          value={smoothing}
          aria-describedby={`${id}-smoothing-hint`}
          className="accent-primary w-full"
          onChange={(e) => onSmoothing(Number(e.target.value))}
        />
        <p id={`${id}-smoothing-hint`} className="text-muted-foreground text-xs">
          {t('smoothingHint')}
        </p>
      </div>
    </div>
  );
}

/** A run as its name (the suffix) over its id, so narrow columns wrap instead of growing. */
function RunLabel({ id, job }: { id: string; job: Job | null }) {
  return (
    <Link href={`/jobs/${job?.id ?? id}`} className="grid min-w-0 underline-offset-4 hover:underline">
      {job?.suffix && <span className="text-sm font-medium">{job.suffix}</span>}
      <span className={cn('font-mono break-all', job?.suffix ? 'text-muted-foreground text-xs' : 'text-xs font-medium')}>{job?.id ?? id}</span>
    </Link>
  );
}

function ResultsCard({ ids, jobs, finals }: { ids: readonly string[]; jobs: Array<Job | null>; finals: Array<ReturnType<typeof finalMetrics>> }) {
  const t = useTranslations('jobs.compare');
  const tJobs = useTranslations('jobs');
  const format = useFormatter();
  const formatDuration = useFormatDuration();
  const none = <span className="text-muted-foreground">—</span>;
  const loss = (v: number | null) => (v === null ? none : format.number(v, { maximumFractionDigits: 4 }));
  const rows = ids.map((id, i) => {
    const job = jobs[i] ?? null;
    const final = finals[i]!;
    const end = job?.finished_at ?? (job && !isFinalStatus(job.status) ? Math.floor(Date.now() / 1000) : null);
    const duration = job?.started_at && end ? formatDuration(Math.max(0, end - job.started_at)) : null;
    const cost =
      job?.charged != null ? (
        <span title={tJobs('costCharged')}>{format.number(Number(job.charged), { maximumFractionDigits: 6 })}</span>
      ) : job?.estimatedCost != null ? (
        <span className="text-muted-foreground" title={tJobs('costEstimated')}>
          ≈ {format.number(Number(job.estimatedCost), { maximumFractionDigits: 6 })}
        </span>
      ) : (
        none
      );
    return {
      id,
      job,
      cells: [
        ['duration', t('columns.duration'), duration ?? none],
        ['cost', t('columns.cost'), cost],
        ['tokens', t('columns.trainedTokens'), job?.trained_tokens != null ? format.number(job.trained_tokens) : none],
        ['final-train', t('columns.finalTrain'), loss(final.trainLoss)],
        ['final-valid', t('columns.finalValid'), loss(final.validLoss)],
        ['best-valid', t('columns.bestValid'), loss(final.bestValidLoss)],
      ] as const,
    };
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('resultsTitle')}</CardTitle>
      </CardHeader>
      <CardContent>
        {/* A table where there is room for it; on a phone, one block per run. */}
        <div className="hidden md:block">
          <Table data-testid="compare-results">
            <TableHeader>
              <TableRow>
                <TableHead>{t('columns.run')}</TableHead>
                <TableHead>{t('columns.status')}</TableHead>
                {rows[0]?.cells.map(([key, label]) => (
                  <TableHead key={key} className="text-right whitespace-normal">
                    {label}
                  </TableHead>
                ))}
              </TableRow>
            </TableHeader>
            <TableBody>
              {rows.map(({ id, job, cells }) => (
                <TableRow key={id} data-testid="compare-result" data-job={id}>
                  <TableCell className="max-w-56 whitespace-normal">
                    <RunLabel id={id} job={job} />
                  </TableCell>
                  <TableCell>{job ? <StatusBadge status={job.status} /> : none}</TableCell>
                  {cells.map(([key, , value]) => (
                    <TableCell key={key} className="text-right tabular-nums" data-testid={`compare-${key}`}>
                      {value}
                    </TableCell>
                  ))}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
        <ul className="grid gap-4 md:hidden">
          {rows.map(({ id, job, cells }) => (
            <li key={id} className="grid gap-2 rounded-md border p-3">
              <div className="flex flex-wrap items-start justify-between gap-2">
                <RunLabel id={id} job={job} />
                {job && <StatusBadge status={job.status} />}
              </div>
              <dl className="grid grid-cols-[minmax(0,1fr)_auto] gap-x-4 gap-y-1 text-sm">
                {cells.map(([key, label, value]) => (
                  <Fragment key={key}>
                    <dt className="text-muted-foreground">{label}</dt>
                    <dd className="text-right tabular-nums">{value}</dd>
                  </Fragment>
                ))}
              </dl>
            </li>
          ))}
        </ul>
      </CardContent>
    </Card>
  );
}

function SettingsCard({ ids, jobs }: { ids: readonly string[]; jobs: Array<Job | null> }) {
  const t = useTranslations('jobs.compare');
  const tForm = useTranslations('jobs.form');
  const hp = useHyperparameterFormat();
  const runs = jobs.map((job): Partial<Record<SettingKey, unknown>> => {
    if (!job) return {};
    return {
      ...job.hyperparameters,
      model: job.model,
      training_file: job.training_file,
      preset: job.training.preset,
      method: job.method.type === 'dpo' ? `dpo:${String(job.method.dpo.hyperparameters.beta)}` : 'supervised',
      seed: job.seed,
    };
  });
  const differ = differingKeys(SETTING_KEYS, runs.filter((_, i) => jobs[i]));
  const label = (key: SettingKey) =>
    key === 'model' ? t('rows.model') : key === 'training_file' ? t('rows.trainingFile') : key === 'preset' ? t('rows.preset') : key === 'method' ? t('rows.method') : key === 'seed' ? t('rows.seed') : hp.label(key as HyperparameterKey);
  const display = (key: SettingKey, job: Job | null, value: unknown) => {
    if (!job) return '—';
    if (key === 'model' || key === 'training_file' || key === 'seed') return String(value);
    if (key === 'preset') return tForm(`preset.${job.training.preset}.title`);
    if (key === 'method') return job.method.type === 'dpo' ? `${tForm('method.dpo')} (β ${String(job.method.dpo.hyperparameters.beta)})` : tForm('method.supervised');
    return hp.display(key as HyperparameterKey, value);
  };
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('settingsTitle')}</CardTitle>
        <CardDescription>{t('settingsDescription', { count: differ.size })}</CardDescription>
      </CardHeader>
      <CardContent>
        <Table data-testid="compare-settings">
          <TableHeader>
            <TableRow>
              <TableHead>{t('setting')}</TableHead>
              {ids.map((id, i) => (
                <TableHead key={id} className="h-auto max-w-48 py-2 align-bottom whitespace-normal">
                  <RunLabel id={id} job={jobs[i] ?? null} />
                </TableHead>
              ))}
            </TableRow>
          </TableHeader>
          <TableBody>
            {SETTING_KEYS.map((key) => {
              const differs = differ.has(key);
              return (
                <TableRow key={key} data-testid="compare-setting" data-key={key} data-differs={differs} className={cn(differs && 'bg-amber-500/10 hover:bg-amber-500/15')}>
                  <TableCell className="font-medium">
                    <span className="flex flex-wrap items-center gap-2">
                      {label(key)}
                      {differs && (
                        <Badge variant="outline" className="border-amber-600 text-amber-800 dark:border-amber-400 dark:text-amber-200">
                          {t('differs')}
                        </Badge>
                      )}
                    </span>
                  </TableCell>
                  {ids.map((id, i) => (
                    <TableCell key={id} className={cn('max-w-48 tabular-nums whitespace-normal', (key === 'model' || key === 'training_file') && 'font-mono text-xs break-all', differs && 'font-semibold')}>
                      {display(key, jobs[i] ?? null, runs[i]?.[key])}
                    </TableCell>
                  ))}
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      </CardContent>
    </Card>
  );
}
