'use client';

import { Fragment, useMemo } from 'react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { useFormatter, useTranslations } from 'next-intl';
import { AlertTriangle, Radio, RefreshCw } from 'lucide-react';
import { toast } from 'sonner';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { ConfirmDialog } from '@/components/common/confirm-dialog';
import { CopyButton } from '@/components/common/copy-button';
import { PageHeader } from '@/components/common/page-header';
import { ProgressWithEta } from '@/components/common/progress-with-eta';
import { Stat } from '@/components/common/stat';
import { StatusBadge } from '@/components/common/status-badge';
import { JobCheckpointsTable } from '@/components/jobs/job-checkpoints-table';
import { JobEvaluationsCard } from '@/components/evals/job-evaluations-card';
import { JobEventsTable } from '@/components/jobs/job-events-table';
import { JobLogsPanel } from '@/components/jobs/job-logs-panel';
import { JobMetricsChart } from '@/components/jobs/job-metrics-chart';
import { HYPERPARAMETER_KEYS, useHyperparameterFormat } from '@/components/jobs/use-hyperparameter-format';
import { isFinalStatus, liveJobState, metricSeries, progressPercent, readProgress } from '@/components/jobs/job-metrics';
import { useJobLive } from '@/lib/realtime/use-job-live';
import { useTRPC } from '@/lib/trpc/client';
import type { AppRouter } from '@/server/api/root';
import { ModelDownloadsCard } from '@/components/serving/model-downloads-card';

export type JobDetail = inferRouterOutputs<AppRouter>['job']['get'];

/** Lathe's own settings, listed on the job page once asked for or chosen by "auto". */
const ADVANCED_KEYS = HYPERPARAMETER_KEYS.slice(3);

export function JobDetailView({ id }: { id: string }) {
  const t = useTranslations('jobs.detail');
  const trpc = useTRPC();
  const job = useQuery(trpc.job.get.queryOptions({ id }, { retry: false }));

  if (job.isLoading) return <Skeleton className="h-96 w-full" />;
  if (!job.data) {
    return (
      <div className="grid gap-6">
        <PageHeader title={t('notFoundTitle')} eyebrow={<BackLink />} />
        <Alert variant="destructive">
          <AlertDescription>{job.error?.message ?? t('notFound')}</AlertDescription>
        </Alert>
      </div>
    );
  }
  return <LiveJob job={job.data} />;
}

function BackLink() {
  const t = useTranslations('jobs.detail');
  return (
    <Link href="/jobs" className="underline-offset-4 hover:underline">
      {t('back')}
    </Link>
  );
}

/** Which adapter the fine-tuned model is: the best checkpoint by validation loss or the last step. */
function ModelSelection({ training }: { training: JobDetail['training'] }) {
  const t = useTranslations('jobs.detail.modelFrom');
  const format = useFormatter();
  const from = training.adapterFrom;
  if (!from) return null;
  return (
    <p className="text-muted-foreground basis-full text-sm" data-testid="job-model-selection" data-selected={from.selected} data-step={from.step}>
      {from.selected === 'best'
        ? t('best', { step: from.step, loss: from.validLoss === null ? 'none' : format.number(from.validLoss, { maximumFractionDigits: 4 }) })
        : t('last', { step: from.step })}
      {from.earlyStopped && ` ${t('earlyStopped')}`}
    </p>
  );
}

function LiveJob({ job }: { job: JobDetail }) {
  const t = useTranslations('jobs.detail');
  const tLogs = useTranslations('jobs.logs');
  const format = useFormatter();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const final = isFinalStatus(job.status);
  const { events, loaded, live, error: eventsError } = useJobLive(job.rawId, { active: !final });
  const checkpoints = useQuery(trpc.job.checkpoints.queryOptions({ id: job.id }));
  const points = useMemo(() => metricSeries(events), [events]);
  // Header, progress bar, chart and event log read one state: the row or the stream, whichever is ahead.
  const { status, progress } = useMemo(() => liveJobState(job.status, readProgress(job.progress), events), [job.status, job.progress, events]);
  const cancel = useMutation(
    trpc.job.cancel.mutationOptions({
      onSuccess: (updated) => {
        toast.success(updated.status === 'cancelled' ? t('cancel.done') : t('cancel.requested'));
        void queryClient.invalidateQueries(trpc.job.get.queryFilter({ id: job.id }));
        void queryClient.invalidateQueries(trpc.job.list.queryFilter());
      },
      onError: (error) => toast.error(error.message),
    }),
  );

  const remove = useMutation(
    trpc.job.delete.mutationOptions({
      onSuccess: () => {
        toast.success(t('delete.done', { id: job.id }));
        void queryClient.invalidateQueries(trpc.job.list.queryFilter());
        router.push('/jobs');
      },
      onError: (error) => toast.error(error.message),
    }),
  );

  const created = new Date(job.created_at * 1000);
  const finished = job.finished_at ? new Date(job.finished_at * 1000) : null;
  const hp = job.hyperparameters;
  const hpFormat = useHyperparameterFormat();
  const hpValue = (v: unknown) => (typeof v === 'number' ? format.number(v, { maximumSignificantDigits: 4 }) : t('auto'));

  return (
    <div className="grid grid-cols-[minmax(0,1fr)] gap-6" data-testid="job-detail" data-job={job.id} data-status={status}>
      <PageHeader
        eyebrow={<BackLink />}
        title={<span className="font-mono break-all whitespace-normal">{job.id}</span>}
        description={
          <span className="flex flex-wrap items-center gap-x-2 gap-y-1">
            <StatusBadge status={status} />
            <span>{t('baseModel')}</span>
            <span className="text-foreground font-mono">{job.model}</span>
            {job.suffix && <span>· {t('suffix', { suffix: job.suffix })}</span>}
            {job.training.continuesFrom && (
              <span data-testid="job-continues-from">
                · {t('continuesFrom', { model: job.training.continuesFrom })}
              </span>
            )}
          </span>
        }
        actions={
          !final ? (
            <ConfirmDialog
              trigger={<Button variant="outline">{t('cancel.button')}</Button>}
              title={t('cancel.title')}
              description={status === 'running' ? t('cancel.running') : t('cancel.notStarted')}
              confirmLabel={t('cancel.confirm')}
              onConfirm={() => cancel.mutateAsync({ id: job.id })}
            />
          ) : (
            <ConfirmDialog
              trigger={<Button variant="outline">{t('delete.button')}</Button>}
              title={t('delete.title')}
              description={job.fine_tuned_model ? t('delete.withModel', { model: job.fine_tuned_model }) : t('delete.description')}
              confirmLabel={t('delete.confirm')}
              onConfirm={() => remove.mutateAsync({ id: job.id })}
            />
          )
        }
      />

      {job.error && (
        <Alert variant="destructive" data-testid="job-error">
          <AlertTriangle aria-hidden />
          <AlertTitle>
            {t('error.title')} <code className="font-mono">{job.error.code}</code>
          </AlertTitle>
          <AlertDescription>
            <p>{job.error.message}</p>
            {job.error.param && <p>{t('error.param', { param: job.error.param })}</p>}
          </AlertDescription>
        </Alert>
      )}

      {job.fine_tuned_model && (
        <Card className="py-4">
          <CardContent className="flex flex-wrap items-center gap-2">
            <span className="text-muted-foreground text-sm">{t('fineTunedModel')}</span>
            <span className="font-mono text-sm break-all" data-testid="fine-tuned-model">
              {job.fine_tuned_model}
            </span>
            <CopyButton value={job.fine_tuned_model} label={t('copyModel')} />
            <ModelSelection training={job.training} />
          </CardContent>
        </Card>
      )}
      {!job.fine_tuned_model && job.training.earlyStopping && !final && (
        <p className="text-muted-foreground text-sm" data-testid="job-model-selection" data-selected="pending">
          {job.training.selectCheckpoint === 'best' ? t('modelFrom.pendingBest') : t('modelFrom.pendingLast')}
        </p>
      )}
      {job.fine_tuned_model && <ModelDownloadsCard fineTunedModel={job.fine_tuned_model} />}

      {(status === 'running' || (progress && !final)) && (
        <Card className="py-4" data-testid="job-progress">
          <CardContent className="grid gap-2">
            <ProgressWithEta value={progressPercent(progress)} etaSeconds={progress?.etaSeconds ?? null} label={t('progress.label')} />
            <p className="text-muted-foreground text-xs tabular-nums">
              {progress?.step !== null && progress?.step !== undefined && progress.totalSteps
                ? t('progress.steps', { step: progress.step, total: progress.totalSteps })
                : t('progress.starting')}
              {progress?.epoch !== null && progress?.epoch !== undefined ? ` · ${t('progress.epoch', { epoch: format.number(progress.epoch, { maximumFractionDigits: 2 }) })}` : ''}
              {progress?.tokensPerSecond ? ` · ${t('progress.speed', { speed: format.number(progress.tokensPerSecond, { maximumFractionDigits: 0 }) })}` : ''}
            </p>
          </CardContent>
        </Card>
      )}

      <Card>
        <CardHeader className="flex flex-row items-center justify-between gap-2">
          <CardTitle>{t('metrics')}</CardTitle>
          {!final && (
            <span className="text-muted-foreground flex items-center gap-1.5 text-xs" data-testid="live-status" data-live={live}>
              {live ? <Radio className="text-success size-3.5" aria-hidden /> : <RefreshCw className="size-3.5" aria-hidden />}
              {live ? t('live') : t('polling')}
            </span>
          )}
        </CardHeader>
        <CardContent>{loaded ? <JobMetricsChart points={points} /> : <Skeleton className="h-72 w-full" />}</CardContent>
      </Card>

      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Card className="py-4">
          <CardContent>
            <Stat
              label={t('trainedTokens')}
              value={job.trained_tokens !== null ? format.number(job.trained_tokens) : '—'}
              hint={job.trained_tokens !== null ? t('trainedTokensHint') : final ? t('trainedTokensNone') : t('trainedTokensPending')}
            />
          </CardContent>
        </Card>
        <Card className="py-4" data-testid="job-cost" data-final={final}>
          <CardContent>
            {final && job.charged !== null ? (
              <Stat label={t('actualCost')} value={format.number(Number(job.charged), { maximumFractionDigits: 6 })} hint={t('actualCostHint')} />
            ) : (
              <Stat label={t('estimatedCost')} value={job.estimatedCost !== null ? format.number(Number(job.estimatedCost), { maximumFractionDigits: 6 }) : '—'} hint={t('estimatedCostHint')} />
            )}
          </CardContent>
        </Card>
        <Card className="py-4">
          <CardContent>
            <Stat label={t('created')} value={format.dateTime(created, { dateStyle: 'medium' })} hint={format.dateTime(created, { timeStyle: 'medium' })} />
          </CardContent>
        </Card>
        <Card className="py-4">
          <CardContent>
            <Stat label={t('finished')} value={finished ? format.dateTime(finished, { dateStyle: 'medium' }) : '—'} hint={finished ? format.dateTime(finished, { timeStyle: 'medium' }) : undefined} />
          </CardContent>
        </Card>
      </div>

      <JobEvaluationsCard jobId={job.rawId} />

      {job.slurm && (
        <Card className="py-4" data-testid="job-slurm">
          <CardHeader>
            <CardTitle>{t('slurm.title')}</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm sm:grid-cols-[auto_1fr_auto_1fr]">
              <dt className="text-muted-foreground">{t('slurm.jobId')}</dt>
              <dd className="font-mono tabular-nums">{job.slurm.jobId}</dd>
              <dt className="text-muted-foreground">{t('slurm.state')}</dt>
              <dd>
                <Badge variant="outline">{job.slurm.state}</Badge>
              </dd>
              <dt className="text-muted-foreground">{t('slurm.partition')}</dt>
              <dd className="font-mono break-all">{job.slurm.partition ?? '—'}</dd>
              <dt className="text-muted-foreground">{t('slurm.nodes')}</dt>
              <dd className="font-mono break-all">{job.slurm.nodes ?? t('slurm.notAllocated')}</dd>
            </dl>
          </CardContent>
        </Card>
      )}

      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>{t('hyperparameters')}</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm" data-testid="job-hyperparameters">
              <dt className="text-muted-foreground">{t('method')}</dt>
              <dd data-testid="job-method">{job.method.type === 'dpo' ? t('methodDpo', { beta: String(job.method.dpo.hyperparameters.beta) }) : t('methodSupervised')}</dd>
              <dt className="text-muted-foreground">{t('epochs')}</dt>
              <dd className="tabular-nums">{hpValue(hp.n_epochs)}</dd>
              <dt className="text-muted-foreground">{t('batchSize')}</dt>
              <dd className="tabular-nums">{hpValue(hp.batch_size)}</dd>
              <dt className="text-muted-foreground">{t('learningRateMultiplier')}</dt>
              <dd className="tabular-nums">{hpValue(hp.learning_rate_multiplier)}</dd>
              {ADVANCED_KEYS.filter((key) => (hp as Record<string, unknown>)[key] !== undefined).map((key) => (
                <Fragment key={key}>
                  <dt className="text-muted-foreground">{hpFormat.label(key)}</dt>
                  <dd className="tabular-nums break-words" data-testid={`job-hp-${key}`}>
                    {hpFormat.display(key, (hp as Record<string, unknown>)[key])}
                  </dd>
                </Fragment>
              ))}
              <dt className="text-muted-foreground">{t('seed')}</dt>
              <dd className="tabular-nums">{job.seed}</dd>
              <dt className="text-muted-foreground">{t('earlyStopping')}</dt>
              <dd className="tabular-nums" data-testid="job-early-stopping">
                {job.training.earlyStopping ? t('earlyStoppingOn', { patience: job.training.earlyStopping.patience }) : t('earlyStoppingOff')}
              </dd>
            </dl>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>{t('files')}</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="grid grid-cols-[auto_1fr] items-center gap-x-6 gap-y-2 text-sm">
              <dt className="text-muted-foreground">{t('trainingFile')}</dt>
              <dd className="font-mono text-xs break-all">{job.training_file}</dd>
              <dt className="text-muted-foreground">{t('validationFile')}</dt>
              <dd className="font-mono text-xs break-all">{job.validation_file ?? '—'}</dd>
              <dt className="text-muted-foreground">{t('resultFiles')}</dt>
              <dd className="grid gap-1">
                {job.result_files.length === 0
                  ? '—'
                  : job.result_files.map((f) => (
                      <span key={f} className="flex items-center gap-1">
                        <span className="font-mono text-xs break-all">{f}</span>
                        <CopyButton value={f} label={t('copyFile', { file: f })} />
                      </span>
                    ))}
              </dd>
            </dl>
          </CardContent>
        </Card>
      </div>

      <Card>
        <CardHeader>
          <CardTitle>{t('checkpoints')}</CardTitle>
        </CardHeader>
        <CardContent>
          {checkpoints.data ? <JobCheckpointsTable checkpoints={checkpoints.data} /> : <Skeleton className="h-16 w-full" />}
        </CardContent>
      </Card>

      <Card>
        <CardHeader>
          <CardTitle>{tLogs('title')}</CardTitle>
        </CardHeader>
        <CardContent>{loaded ? <JobLogsPanel events={events} jobId={job.rawId} final={final} /> : <Skeleton className="h-32 w-full" />}</CardContent>
      </Card>

      <Card>
        <CardHeader>
          <CardTitle>{t('events')}</CardTitle>
        </CardHeader>
        <CardContent className="grid gap-3">
          {eventsError && (
            <Alert variant="destructive">
              <AlertDescription>{eventsError}</AlertDescription>
            </Alert>
          )}
          {loaded ? <JobEventsTable events={events} /> : <Skeleton className="h-32 w-full" />}
        </CardContent>
      </Card>
    </div>
  );
}
