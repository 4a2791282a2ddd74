'use client';

import Link from 'next/link';
import type { inferRouterOutputs } from '@trpc/server';
import { useFormatter, useTranslations } from 'next-intl';
import { Loader2 } from 'lucide-react';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Separator } from '@/components/ui/separator';
import { Stat } from '@/components/common/stat';
import type { AppRouter } from '@/server/api/root';
import { cn } from '@/lib/utils';

export type JobEstimate = inferRouterOutputs<AppRouter>['job']['estimate'];

interface JobEstimateCardProps {
  /** A model and a training file are chosen and the hyperparameters are valid. */
  ready: boolean;
  loading: boolean;
  error: string | null;
  estimate: JobEstimate | null;
  /** The organization's credit balance, when known. */
  balance: number | null;
  className?: string;
}

/** The live cost estimate beside the new-job form. */
export function JobEstimateCard({ ready, loading, error, estimate, balance, className }: JobEstimateCardProps) {
  const t = useTranslations('jobs.estimate');
  const format = useFormatter();
  const credits = (n: number) => format.number(n, { maximumFractionDigits: n < 1 ? 4 : 2 });
  // A balance at the ledger's precision: after a small charge, 999.999388 must not read as 1,000.
  const ledger = (n: number) => format.number(n, { maximumFractionDigits: 6 });
  const shown = ready ? estimate : null;
  const overBalance = shown !== null && balance !== null && shown.credits > balance;

  return (
    <Card className={cn('gap-4', className)} aria-labelledby="job-estimate-title" data-testid="job-estimate">
      <CardHeader>
        <CardTitle id="job-estimate-title" className="flex items-center gap-2">
          {t('title')}
          {ready && loading && <Loader2 className="text-muted-foreground size-4 animate-spin" aria-label={t('updating')} />}
        </CardTitle>
        <CardDescription>{t('description')}</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4" aria-live="polite">
        {!ready ? (
          <p className="text-muted-foreground text-sm">{t('choose')}</p>
        ) : error ? (
          <p className="text-destructive text-sm" role="alert">
            {error}
          </p>
        ) : !shown ? (
          <p className="text-muted-foreground text-sm">{t('loading')}</p>
        ) : (
          <>
            <Stat label={t('credits')} value={<span data-testid="estimate-credits">{credits(shown.credits)}</span>} hint={t('price', { price: Number(shown.pricePerMillionTokens) })} />
            <dl className="grid grid-cols-[1fr_auto] gap-x-4 gap-y-1.5 text-sm">
              <dt className="text-muted-foreground">{t('billedTokens')}</dt>
              <dd className="text-right tabular-nums">{format.number(shown.billedTokens)}</dd>
              <dt className="text-muted-foreground">{t('tokensPerEpoch')}</dt>
              <dd className="text-right tabular-nums">{format.number(shown.trainedTokens)}</dd>
            </dl>
            <Separator />
            <div className="grid gap-1.5">
              <h3 className="text-sm font-medium">{t('hyperparameters')}</h3>
              <dl className="grid grid-cols-[1fr_auto] gap-x-4 gap-y-1.5 text-sm" data-testid="estimate-hyperparameters">
                <dt className="text-muted-foreground">{t('epochs')}</dt>
                <dd className="text-right tabular-nums">{shown.hyperparameters.n_epochs}</dd>
                <dt className="text-muted-foreground">{t('batchSize')}</dt>
                <dd className="text-right tabular-nums">{shown.hyperparameters.batch_size}</dd>
                <dt className="text-muted-foreground">{t('learningRateMultiplier')}</dt>
                <dd className="text-right tabular-nums">{format.number(shown.hyperparameters.learning_rate_multiplier, { maximumSignificantDigits: 3 })}</dd>
                <dt className="text-muted-foreground">{t('learningRate')}</dt>
                <dd className="text-right tabular-nums">{shown.hyperparameters.learning_rate.toExponential(2)}</dd>
              </dl>
            </div>
            {!shown.exact && <p className="text-muted-foreground text-xs">{t('approximate')}</p>}
          </>
        )}
        {balance !== null && (
          <>
            <Separator />
            <p className={cn('text-sm', overBalance ? 'text-destructive' : 'text-muted-foreground')}>
              {overBalance ? t('overBalance', { balance: ledger(balance) }) : t('balance', { balance: ledger(balance) })}{' '}
              <Link href="/usage" className="text-foreground underline underline-offset-4">
                {t('billingLink')}
              </Link>
            </p>
          </>
        )}
      </CardContent>
    </Card>
  );
}
