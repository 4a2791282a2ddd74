'use client';

import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import { useFormatter, useTranslations } from 'next-intl';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { StatusBadge } from '@/components/common/status-badge';
import { useTRPC } from '@/lib/trpc/client';

const RUNNING_REFRESH_MS = 3_000;

/** On a job's page: the evaluations of its fine-tune (those its `evaluation` option started), when there are any. */
export function JobEvaluationsCard({ jobId }: { jobId: string }) {
  const t = useTranslations('evals');
  const format = useFormatter();
  const trpc = useTRPC();
  const runs = useQuery(
    trpc.evals.list.queryOptions({ jobId }, { refetchInterval: (query) => (query.state.data?.some((r) => r.status === 'queued' || r.status === 'running') ? RUNNING_REFRESH_MS : false) }),
  );
  if (!runs.data?.length) return null;
  const percent = (value: number) => format.number(value, { style: 'percent', maximumFractionDigits: 0 });
  return (
    <Card data-testid="job-evaluations">
      <CardHeader>
        <CardTitle>{t('jobCard.title')}</CardTitle>
      </CardHeader>
      <CardContent>
        <ul className="grid gap-3">
          {runs.data.map((run) => {
            const tuned = run.summary?.models.at(-1);
            return (
              <li key={run.id} className="flex min-w-0 flex-wrap items-center justify-between gap-2">
                <Link href={`/evaluations/${run.id}`} className="min-w-0 text-sm font-medium break-all underline-offset-4 hover:underline">
                  {run.name}
                </Link>
                <span className="text-muted-foreground flex flex-wrap items-center gap-2 text-sm">
                  {tuned && tuned.winRate !== null && <span>{t('winRate', { rate: percent(tuned.winRate), baseline: run.models[0] ?? '' })}</span>}
                  <StatusBadge status={run.status} />
                </span>
              </li>
            );
          })}
        </ul>
      </CardContent>
    </Card>
  );
}
