'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { keepPreviousData, useQueries, useQueryClient } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { useFormatter, useNow, useTranslations } from 'next-intl';
import { FlaskConical, GitCompare, Plus } from 'lucide-react';
import { Button } from '@/components/ui/button';
import { Checkbox } from '@/components/ui/checkbox';
import { useFormatDuration } from '@/components/common/use-format-duration';
import { Skeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { CopyButton } from '@/components/common/copy-button';
import { EmptyState } from '@/components/common/empty-state';
import { PageHeader } from '@/components/common/page-header';
import { ProgressWithEta } from '@/components/common/progress-with-eta';
import { StatusBadge } from '@/components/common/status-badge';
import { isFinalStatus, MAX_COMPARED, progressPercent, readProgress } from '@/components/jobs/job-metrics';
import { TrainerStatusAlert } from '@/components/jobs/trainer-status-alert';
import { JobFilters, useJobFilters } from '@/components/jobs/job-filters';
import { POLL_INTERVAL_MS } from '@/lib/realtime/use-job-live';
import { useJobUpdates } from '@/lib/realtime/use-job-updates';
import { useTRPC } from '@/lib/trpc/client';
import type { AppRouter } from '@/server/api/root';

export type JobRow = inferRouterOutputs<AppRouter>['job']['list']['jobs'][number];

const PAGE_SIZE = 25;
const LIST_REFRESH_MS = 1_000;

export function JobsTable() {
  const t = useTranslations('jobs');
  const format = useFormatter();
  const now = useNow({ updateInterval: 30_000 });
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  // Page i starts after the last job of page i - 1 (OpenAI's `after` cursor).
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const { filter, query, filtered, change: changeFilter, clear: clearFilter } = useJobFilters(() => setCursors([null]));
  // The previous results stay on screen while a changed filter's first page loads.
  const pages = useQueries({ queries: cursors.map((after) => trpc.job.list.queryOptions({ after, limit: PAGE_SIZE, ...query }, { placeholderData: keepPreviousData })) });
  const formatDuration = useFormatDuration();
  const jobs = pages.flatMap((p) => p.data?.jobs ?? []);
  const last = pages.at(-1);
  const loading = pages[0]?.isLoading ?? true;
  const error = pages.find((p) => p.error)?.error ?? null;
  const [selected, setSelected] = useState<string[]>([]);

  // useJobUpdates keys on the ids themselves, so a new array each render does not resubscribe.
  const activeIds = jobs.filter((j) => !isFinalStatus(j.status)).map((j) => j.rawId);
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const refresh = useCallback(() => {
    if (refreshTimer.current) return;
    refreshTimer.current = setTimeout(() => {
      refreshTimer.current = undefined;
      void queryClient.invalidateQueries(trpc.job.list.queryFilter());
    }, LIST_REFRESH_MS);
  }, [queryClient, trpc]);
  useEffect(() => () => clearTimeout(refreshTimer.current), []);
  const live = useJobUpdates(activeIds, refresh);
  const polling = !live && activeIds.length > 0;
  useEffect(() => {
    if (!polling) return;
    const timer = setInterval(() => void queryClient.invalidateQueries(trpc.job.list.queryFilter()), POLL_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [polling, queryClient, trpc]);

  /** Running time: from start to end, or to now while the job runs; null before it started. */
  const duration = (job: JobRow) => {
    if (job.started_at === null) return null;
    const end = job.finished_at ?? (isFinalStatus(job.status) ? null : Math.floor(now.getTime() / 1000));
    return end === null ? null : formatDuration(Math.max(0, end - job.started_at));
  };

  const toggle = (id: string, on: boolean) => setSelected((s) => (on ? (s.includes(id) ? s : [...s, id]) : s.filter((x) => x !== id)));
  const allSelected = jobs.length > 0 && jobs.every((j) => selected.includes(j.id));
  const someSelected = selected.length > 0 && !allSelected;
  const tooMany = selected.length > MAX_COMPARED;

  const newButton = (
    <Button asChild>
      <Link href="/jobs/new">
        <Plus aria-hidden /> {t('newJob')}
      </Link>
    </Button>
  );

  return (
    <div className="grid gap-6">
      <PageHeader
        title={t('title')}
        description={t('description')}
        actions={
          jobs.length ? (
            <>
              <Button
                variant="outline"
                disabled={selected.length < 2 || tooMany}
                onClick={() => router.push(`/jobs/compare?ids=${selected.map(encodeURIComponent).join(',')}`)}
              >
                <GitCompare aria-hidden /> {t('list.compare', { count: selected.length })}
              </Button>
              {newButton}
            </>
          ) : undefined
        }
      />
      <TrainerStatusAlert />
      {error && (
        <Alert variant="destructive">
          <AlertDescription>{error.message}</AlertDescription>
        </Alert>
      )}
      {(jobs.length > 0 || filtered) && (
        <JobFilters idPrefix="jobs" filter={filter} onChange={changeFilter} />
      )}
      {loading ? (
        <Skeleton className="h-32 w-full" />
      ) : !jobs.length && !error && filtered ? (
        <p className="text-muted-foreground text-sm" data-testid="jobs-none-match">
          {t('filters.none')}{' '}
          <Button variant="link" className="h-auto p-0" onClick={clearFilter}>
            {t('filters.clear')}
          </Button>
        </p>
      ) : !jobs.length && !error ? (
        <EmptyState icon={<FlaskConical />} title={t('empty.title')} description={t('empty.description')} action={newButton} />
      ) : (
        <>
          <p className="text-muted-foreground text-sm" aria-live="polite">
            {tooMany ? t('list.tooMany', { max: MAX_COMPARED }) : selected.length < 2 ? t('list.selectHint') : t('list.selected', { count: selected.length })}
          </p>
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead className="w-10">
                  <Checkbox
                    aria-label={t('list.selectAll')}
                    checked={allSelected ? true : someSelected ? 'indeterminate' : false}
                    onCheckedChange={(v) => setSelected(v === true ? jobs.map((j) => j.id) : [])}
                  />
                </TableHead>
                <TableHead>{t('columns.job')}</TableHead>
                <TableHead className="min-w-48">{t('columns.status')}</TableHead>
                <TableHead>{t('columns.model')}</TableHead>
                <TableHead>{t('columns.fineTunedModel')}</TableHead>
                <TableHead className="text-right">{t('columns.duration')}</TableHead>
                <TableHead className="text-right">{t('columns.cost')}</TableHead>
                <TableHead>{t('columns.created')}</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {jobs.map((job) => {
                const progress = readProgress(job.progress);
                return (
                  <TableRow key={job.id} data-testid="job-row" data-job={job.id} data-status={job.status} data-state={selected.includes(job.id) ? 'selected' : undefined}>
                    <TableCell className="align-top">
                      <Checkbox
                        aria-label={t('list.select', { id: job.id })}
                        checked={selected.includes(job.id)}
                        onCheckedChange={(v) => toggle(job.id, v === true)}
                      />
                    </TableCell>
                    <TableCell className="align-top">
                      {/* The suffix is the job's name; the id stays beside it, to copy and to search. */}
                      <Link href={`/jobs/${job.id}`} className="grid underline-offset-4 hover:underline" data-testid="job-name">
                        {job.suffix && <span className="text-sm font-medium">{job.suffix}</span>}
                        <span className={job.suffix ? 'text-muted-foreground font-mono text-xs' : 'font-mono text-sm font-medium'}>{job.id}</span>
                      </Link>
                    </TableCell>
                    <TableCell className="align-top">
                      <div className="flex flex-col gap-2">
                        <StatusBadge status={job.status} />
                        {job.status === 'running' && (
                          <ProgressWithEta
                            value={progressPercent(progress)}
                            etaSeconds={progress?.etaSeconds ?? null}
                            label={t('progressLabel', { id: job.id })}
                          />
                        )}
                      </div>
                    </TableCell>
                    <TableCell className="align-top font-mono text-sm">{job.model}</TableCell>
                    <TableCell className="align-top">
                      {job.fine_tuned_model ? (
                        <div className="flex max-w-xs items-center gap-1">
                          <span className="truncate font-mono text-sm" title={job.fine_tuned_model}>
                            {job.fine_tuned_model}
                          </span>
                          <CopyButton value={job.fine_tuned_model} label={t('copyModel', { name: job.fine_tuned_model })} />
                        </div>
                      ) : (
                        <span className="text-muted-foreground">—</span>
                      )}
                    </TableCell>
                    <TableCell className="text-right align-top whitespace-nowrap tabular-nums" data-testid="job-duration">
                      {duration(job) ?? <span className="text-muted-foreground">—</span>}
                    </TableCell>
                    <TableCell className="text-right align-top whitespace-nowrap tabular-nums" data-testid="job-cost">
                      {job.charged !== null ? (
                        <span title={t('costCharged')}>{format.number(Number(job.charged), { maximumFractionDigits: 6 })}</span>
                      ) : job.estimatedCost !== null ? (
                        <span className="text-muted-foreground" title={t('costEstimated')}>
                          ≈ {format.number(Number(job.estimatedCost), { maximumFractionDigits: 6 })}
                        </span>
                      ) : (
                        <span className="text-muted-foreground">—</span>
                      )}
                    </TableCell>
                    <TableCell className="align-top whitespace-nowrap">
                      <time dateTime={new Date(job.created_at * 1000).toISOString()} title={format.dateTime(new Date(job.created_at * 1000), { dateStyle: 'medium', timeStyle: 'medium' })}>
                        {format.relativeTime(new Date(job.created_at * 1000), now)}
                      </time>
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
          {last?.data?.hasMore && (
            <div className="flex justify-center">
              <Button variant="outline" disabled={last.isFetching} onClick={() => setCursors((c) => [...c, last.data!.jobs.at(-1)!.id])}>
                {t('list.more')}
              </Button>
            </div>
          )}
        </>
      )}
    </div>
  );
}
