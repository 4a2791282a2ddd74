'use client';

import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import { useFormatter, useTranslations } from 'next-intl';
import { Gauge } from 'lucide-react';
import { Skeleton } from '@/components/ui/skeleton';
import { EmptyState } from '@/components/common/empty-state';
import { PageHeader } from '@/components/common/page-header';
import { StatusBadge } from '@/components/common/status-badge';
import { NewEvalForm } from '@/components/evals/new-eval-form';
import { useTRPC } from '@/lib/trpc/client';

const RUNNING_REFRESH_MS = 3_000;

/** The Evaluations page: the project's runs, newest first, and the form that starts one. */
export function EvalRunsTable() {
  const t = useTranslations('evals');
  const format = useFormatter();
  const trpc = useTRPC();
  const runs = useQuery(
    trpc.evals.list.queryOptions(undefined, {
      refetchInterval: (query) => (query.state.data?.some((r) => r.status === 'queued' || r.status === 'running') ? RUNNING_REFRESH_MS : false),
    }),
  );
  const percent = (value: number) => format.number(value, { style: 'percent', maximumFractionDigits: 0 });

  return (
    <div className="grid gap-6">
      <PageHeader title={t('title')} description={t('description')} />
      {runs.isLoading ? (
        <Skeleton className="h-32 w-full" />
      ) : !runs.data?.length ? (
        <EmptyState icon={<Gauge />} title={t('empty.title')} description={t('empty.description')} />
      ) : (
        <ul className="grid gap-3" aria-label={t('runs')}>
          {runs.data.map((run) => (
            <li key={run.id} data-testid="eval-run-row" data-status={run.status} className="grid gap-2 rounded-lg border p-4">
              <div className="flex flex-wrap items-start justify-between gap-2">
                <Link href={`/evaluations/${run.id}`} className="min-w-0 font-medium break-all underline-offset-4 hover:underline">
                  {run.name}
                </Link>
                <StatusBadge status={run.status} />
              </div>
              <div className="text-muted-foreground flex flex-wrap gap-x-4 gap-y-1 text-sm">
                <span>{t(`graders.${graderKey(run.grader.type)}`)}</span>
                <span>{t('progress', { done: run.progress.done, total: run.progress.total })}</span>
                {run.summary?.models.map((m) => (
                  <span key={m.model} className="font-mono break-all">
                    {m.model}: {percent(m.score)}
                  </span>
                ))}
                <span>{format.dateTime(run.createdAt, { dateStyle: 'medium', timeStyle: 'short' })}</span>
              </div>
            </li>
          ))}
        </ul>
      )}
      <NewEvalForm />
    </div>
  );
}

/** Grader types as message keys (graders.exactMatch, graders.jsonSchema...). */
export function graderKey(type: string): string {
  return type.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
}
