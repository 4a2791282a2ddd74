'use client';

import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import { useFormatter, useTranslations } from 'next-intl';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Progress } from '@/components/ui/progress';
import { Skeleton } from '@/components/ui/skeleton';
import { PageHeader } from '@/components/common/page-header';
import { StatusBadge } from '@/components/common/status-badge';
import { graderKey } from '@/components/evals/eval-runs-table';
import { useTRPC } from '@/lib/trpc/client';

const RUNNING_REFRESH_MS = 2_000;

/** One eval run: the score chart, the per-model summary with win rates, and every example's answers side by side. */
export function EvalRunView({ id }: { id: string }) {
  const t = useTranslations('evals');
  const format = useFormatter();
  const trpc = useTRPC();
  const run = useQuery(
    trpc.evals.get.queryOptions({ id }, { retry: false, refetchInterval: (query) => (query.state.data && ['queued', 'running'].includes(query.state.data.status) ? RUNNING_REFRESH_MS : false) }),
  );
  const percent = (value: number) => format.number(value, { style: 'percent', maximumFractionDigits: 0 });
  const back = (
    <Link href="/evaluations" className="underline-offset-4 hover:underline">
      {t('back')}
    </Link>
  );

  if (run.isLoading) return <Skeleton className="h-64 w-full" />;
  if (!run.data) {
    return (
      <div className="grid gap-6">
        <PageHeader title={t('title')} eyebrow={back} />
        <Alert variant="destructive">
          <AlertDescription>{run.error?.message ?? t('notFound')}</AlertDescription>
        </Alert>
      </div>
    );
  }
  const data = run.data;
  const summary = data.summary?.models ?? [];
  const chart = summary.map((m) => ({ model: m.model, score: Math.round(m.score * 100), passRate: Math.round(m.passRate * 100) }));
  const share = data.progress.total ? data.progress.done / data.progress.total : 0;

  return (
    <div className="grid min-w-0 gap-6" data-testid="eval-run" data-status={data.status}>
      <PageHeader title={data.name} eyebrow={back} description={t(`graders.${graderKey(data.grader.type)}`)} actions={<StatusBadge status={data.status} />} />
      {data.status === 'failed' && data.error && (
        <Alert variant="destructive" role="alert">
          <AlertDescription>{data.error}</AlertDescription>
        </Alert>
      )}
      {(data.status === 'queued' || data.status === 'running') && (
        <div className="grid gap-2">
          <Progress value={share * 100} aria-label={t('progressLabel')} />
          <p className="text-muted-foreground text-sm">{t('progress', { done: data.progress.done, total: data.progress.total })}</p>
        </div>
      )}

      {summary.length > 0 && (
        <Card>
          <CardHeader>
            <CardTitle>{t('chartTitle')}</CardTitle>
          </CardHeader>
          <CardContent className="grid min-w-0 gap-6">
            <div className="h-64 w-full min-w-0" data-testid="eval-score-chart">
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={chart} margin={{ left: 0, right: 8 }}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="model" tick={{ fontSize: 11 }} interval={0} tickFormatter={(name: string) => (name.length > 18 ? `${name.slice(0, 17)}…` : name)} />
                  <YAxis domain={[0, 100]} unit="%" width={52} />
                  <Tooltip formatter={(value) => `${String(value)}%`} />
                  <Legend />
                  <Bar dataKey="score" name={t('score')} fill="var(--chart-1)" isAnimationActive={false} />
                  <Bar dataKey="passRate" name={t('passRate')} fill="var(--chart-2)" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </div>
            <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" aria-label={t('summary')}>
              {summary.map((m, index) => (
                <li key={m.model} data-testid="eval-model-summary" data-model={m.model} className="grid gap-1 rounded-lg border p-3 text-sm">
                  <span className="font-mono font-medium break-all">{m.model}</span>
                  <span>
                    {t('score')}: <strong>{percent(m.score)}</strong> · {t('passRate')}: {percent(m.passRate)}
                  </span>
                  {index === 0 ? (
                    <span className="text-muted-foreground">{t('baseline')}</span>
                  ) : (
                    <span data-testid="win-rate">
                      {t('winRate', { rate: percent(m.winRate ?? 0), baseline: summary[0]!.model })}{' '}
                      <span className="text-muted-foreground">{t('winLossTie', { wins: m.wins, losses: m.losses, ties: m.ties })}</span>
                    </span>
                  )}
                  <span className="text-muted-foreground">{t('tokens', { prompt: m.promptTokens, completion: m.completionTokens })}</span>
                </li>
              ))}
            </ul>
          </CardContent>
        </Card>
      )}

      <section className="grid min-w-0 gap-3" aria-label={t('examples')}>
        <h2 className="text-lg font-semibold">{t('examples')}</h2>
        {data.examples.length === 0 ? (
          <p className="text-muted-foreground text-sm">{data.status === 'failed' ? t('noAnswersFailed') : t('noAnswersYet')}</p>
        ) : (
          data.examples.map((row) => (
            <article key={row.example} data-testid="eval-example" className="grid min-w-0 gap-3 rounded-lg border p-4">
              <div className="grid gap-1">
                <span className="text-muted-foreground text-xs">{t('exampleNumber', { number: row.example + 1 })}</span>
                <p className="text-sm break-words whitespace-pre-wrap">{row.prompt}</p>
                {row.expected !== null && (
                  <p className="text-muted-foreground text-sm break-words">
                    {t('expected')}: <span className="text-foreground font-mono">{row.expected}</span>
                  </p>
                )}
              </div>
              <div className="grid min-w-0 gap-3 md:grid-cols-2 xl:grid-cols-3">
                {data.models.map((model) => {
                  const answer = row.answers[model];
                  return (
                    <div key={model} data-testid="eval-answer" data-model={model} data-passed={answer ? String(answer.passed) : undefined} className="bg-muted/40 grid min-w-0 content-start gap-1.5 rounded-md p-3">
                      <div className="flex flex-wrap items-center justify-between gap-2">
                        <span className="font-mono text-xs break-all">{model}</span>
                        {answer && (
                          <Badge variant={answer.passed ? 'secondary' : 'destructive'}>
                            {answer.judgeScore !== null ? t('judgeScore', { score: answer.judgeScore }) : answer.passed ? t('pass') : t('fail')}
                          </Badge>
                        )}
                      </div>
                      {answer ? (
                        <>
                          <p className="font-mono text-sm break-words whitespace-pre-wrap">{answer.output || t('emptyAnswer')}</p>
                          {answer.reason && <p className="text-muted-foreground text-xs break-words">{answer.reason}</p>}
                        </>
                      ) : (
                        <p className="text-muted-foreground text-sm">{t('pending')}</p>
                      )}
                    </div>
                  );
                })}
              </div>
            </article>
          ))
        )}
      </section>
    </div>
  );
}
