'use client';

import { useState } from 'react';
import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import { useFormatter, useTranslations } from 'next-intl';
import { Plus, Webhook } from 'lucide-react';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { EmptyState } from '@/components/common/empty-state';
import { PageHeader } from '@/components/common/page-header';
import { CreateWebhookDialog } from '@/components/webhooks/create-webhook-dialog';
import { WebhookSecretDialog } from '@/components/webhooks/webhook-secret-dialog';
import { useTRPC } from '@/lib/trpc/client';

export function WebhookEndpointsTable() {
  const t = useTranslations('webhooks');
  const format = useFormatter();
  const trpc = useTRPC();
  const endpoints = useQuery(trpc.webhooks.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);

  const createButton = (
    <Button onClick={() => setCreating(true)}>
      <Plus aria-hidden /> {t('create')}
    </Button>
  );

  return (
    <div className="grid gap-6">
      <PageHeader title={t('title')} description={t('description')} actions={endpoints.data?.length ? createButton : undefined} />
      {endpoints.isLoading ? (
        <Skeleton className="h-32 w-full" />
      ) : !endpoints.data?.length ? (
        <EmptyState icon={<Webhook />} title={t('empty.title')} description={t('empty.description')} action={createButton} />
      ) : (
        <ul className="grid gap-3" aria-label={t('title')}>
          {endpoints.data.map((endpoint) => (
            <li key={endpoint.id} data-testid="webhook-endpoint-row" className="grid gap-3 rounded-lg border p-4">
              <div className="flex flex-wrap items-start justify-between gap-2">
                <div className="grid min-w-0 gap-1">
                  <Link href={`/webhooks/${endpoint.id}`} className="font-mono text-sm font-medium break-all underline-offset-4 hover:underline">
                    {endpoint.url}
                  </Link>
                  {endpoint.description && <p className="text-muted-foreground text-sm">{endpoint.description}</p>}
                </div>
                <Badge variant={endpoint.enabled ? 'secondary' : 'destructive'}>{endpoint.enabled ? t('status.enabled') : t('status.disabled')}</Badge>
              </div>
              <div className="flex flex-wrap gap-1" aria-label={t('columns.events')}>
                {endpoint.events.map((type) => (
                  <Badge key={type} variant="outline" className="font-mono text-xs">
                    {type}
                  </Badge>
                ))}
              </div>
              <div className="text-muted-foreground flex flex-wrap items-center justify-between gap-2 text-sm">
                <span>
                  {t('columns.created')}: {format.dateTime(endpoint.createdAt, { dateStyle: 'medium' })}
                </span>
                <Button asChild variant="outline" size="sm">
                  <Link href={`/webhooks/${endpoint.id}`}>{t('view')}</Link>
                </Button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <CreateWebhookDialog open={creating} onOpenChange={setCreating} onCreated={setSecret} />
      <WebhookSecretDialog secret={secret} onClose={() => setSecret(null)} />
    </div>
  );
}
