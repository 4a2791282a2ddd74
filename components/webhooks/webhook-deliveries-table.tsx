'use client';

import { useQuery } from '@tanstack/react-query';
import { useFormatter, useNow, useTranslations } from 'next-intl';
import { RefreshCw } from 'lucide-react';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { useTRPC } from '@/lib/trpc/client';

const STATUS_VARIANT = { SUCCEEDED: 'secondary', PENDING: 'outline', FAILED: 'destructive' } as const;

/** Every delivery to one endpoint, newest first, each with its tries. Polls while a delivery is still being retried. */
export function WebhookDeliveriesTable({ endpointId }: { endpointId: string }) {
  const t = useTranslations('webhooks.log');
  const ts = useTranslations('webhooks.status');
  const format = useFormatter();
  // relativeTime needs a `now`: without one next-intl logs ENVIRONMENT_FALLBACK on every render.
  const now = useNow({ updateInterval: 60_000 });
  const trpc = useTRPC();
  const deliveries = useQuery({
    ...trpc.webhooks.deliveries.queryOptions({ endpointId }),
    refetchInterval: (query) => (query.state.data?.some((d) => d.status === 'PENDING') ? 2000 : false),
  });

  return (
    <section className="grid gap-3" aria-labelledby="delivery-log-title">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="grid gap-1">
          <h2 id="delivery-log-title" className="text-lg font-semibold">
            {t('title')}
          </h2>
          <p className="text-muted-foreground text-sm">{t('description')}</p>
        </div>
        <Button variant="outline" size="sm" onClick={() => void deliveries.refetch()} disabled={deliveries.isFetching}>
          <RefreshCw aria-hidden /> {t('refresh')}
        </Button>
      </div>
      {deliveries.isLoading ? (
        <Skeleton className="h-24 w-full" />
      ) : !deliveries.data?.length ? (
        <p className="text-muted-foreground rounded-lg border border-dashed p-6 text-center text-sm">{t('empty')}</p>
      ) : (
        <ul className="grid gap-3">
          {deliveries.data.map((delivery) => (
            <li key={delivery.id} data-testid="webhook-delivery" className="grid gap-2 rounded-lg border p-3">
              <div className="flex flex-wrap items-center justify-between gap-2">
                <div className="flex min-w-0 flex-wrap items-center gap-2">
                  <Badge variant={STATUS_VARIANT[delivery.status]}>{ts(delivery.status)}</Badge>
                  <code className="font-mono text-sm break-all">{delivery.eventType}</code>
                </div>
                <span className="text-muted-foreground text-sm">{format.dateTime(delivery.createdAt, { dateStyle: 'medium', timeStyle: 'medium' })}</span>
              </div>
              <p className="text-muted-foreground font-mono text-xs break-all">{delivery.eventId}</p>
              <p className="text-muted-foreground text-sm">
                {t('attempts', { count: delivery.attempts })}
                {delivery.nextAttemptAt ? ` · ${t('nextTry', { time: format.relativeTime(delivery.nextAttemptAt, now) })}` : ''}
              </p>
              <ol className="grid gap-2">
                {delivery.tries.map((attempt) => (
                  <li key={attempt.id} className="bg-muted/40 grid gap-1 rounded-md border p-2 text-sm" data-testid="webhook-try">
                    <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
                      <span className="font-medium">{t('attempt', { attempt: attempt.attempt })}</span>
                      <span>{attempt.responseStatus ? `HTTP ${attempt.responseStatus}` : t('noAnswer')}</span>
                      <span className="text-muted-foreground">{t('latency', { ms: attempt.latencyMs })}</span>
                      <span className="text-muted-foreground">{format.dateTime(attempt.createdAt, { timeStyle: 'medium' })}</span>
                    </div>
                    {attempt.error && (
                      <p className="text-destructive break-words">
                        {t('error')}: {attempt.error}
                      </p>
                    )}
                    <details>
                      <summary className="cursor-pointer text-sm underline-offset-4 hover:underline">{t('showDetails')}</summary>
                      <div className="mt-2 grid gap-2">
                        <div className="grid gap-1">
                          <h3 className="text-xs font-semibold uppercase">{t('request')}</h3>
                          <pre className="bg-background max-w-full overflow-x-auto rounded border p-2 font-mono text-xs whitespace-pre-wrap break-all">
                            {`POST ${attempt.url}\n${Object.entries(attempt.requestHeaders)
                              .map(([name, value]) => `${name}: ${value}`)
                              .join('\n')}\n\n${attempt.requestBody}`}
                          </pre>
                        </div>
                        <div className="grid gap-1">
                          <h3 className="text-xs font-semibold uppercase">{t('response')}</h3>
                          <pre className="bg-background max-w-full overflow-x-auto rounded border p-2 font-mono text-xs whitespace-pre-wrap break-all">
                            {attempt.responseStatus ? `HTTP ${attempt.responseStatus}\n\n${attempt.responseBody ?? ''}` : t('noAnswer')}
                          </pre>
                        </div>
                      </div>
                    </details>
                  </li>
                ))}
              </ol>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
