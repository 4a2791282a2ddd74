'use client';

import { useState } from 'react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useFormatter, useTranslations } from 'next-intl';
import { ArrowLeft, Send } from 'lucide-react';
import { toast } from 'sonner';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { ConfirmDialog } from '@/components/common/confirm-dialog';
import { PageHeader } from '@/components/common/page-header';
import { WebhookDeliveriesTable } from '@/components/webhooks/webhook-deliveries-table';
import { WebhookSecretDialog } from '@/components/webhooks/webhook-secret-dialog';
import { useTRPC } from '@/lib/trpc/client';

export function WebhookEndpointView({ id }: { id: string }) {
  const t = useTranslations('webhooks');
  const format = useFormatter();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const endpoint = useQuery({ ...trpc.webhooks.get.queryOptions({ id }), retry: false });
  const [secret, setSecret] = useState<string | null>(null);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.webhooks.get.queryKey({ id }) });
    void queryClient.invalidateQueries({ queryKey: trpc.webhooks.list.queryKey() });
  };
  const onError = (error: { message: string }) => toast.error(error.message);

  const sendTest = useMutation(
    trpc.webhooks.sendTest.mutationOptions({
      onSuccess: () => {
        toast.success(t('actions.testSent'));
        void queryClient.invalidateQueries({ queryKey: trpc.webhooks.deliveries.queryKey({ endpointId: id }) });
      },
      onError,
    }),
  );
  const update = useMutation(
    trpc.webhooks.update.mutationOptions({
      onSuccess: (row) => {
        toast.success(row.enabled ? t('actions.enabledToast') : t('actions.disabledToast'));
        refresh();
      },
      onError,
    }),
  );
  const rotate = useMutation(trpc.webhooks.rotateSecret.mutationOptions({ onSuccess: (res) => (setSecret(res.secret), refresh()), onError }));
  const remove = useMutation(
    trpc.webhooks.delete.mutationOptions({
      onSuccess: () => {
        toast.success(t('actions.deleted'));
        void queryClient.invalidateQueries({ queryKey: trpc.webhooks.list.queryKey() });
        router.push('/webhooks');
      },
      onError,
    }),
  );

  const back = (
    <Link href="/webhooks" className="inline-flex items-center gap-1 underline-offset-4 hover:underline">
      <ArrowLeft aria-hidden className="size-4" /> {t('back')}
    </Link>
  );

  if (endpoint.isLoading) return <Skeleton className="h-48 w-full" />;
  if (!endpoint.data) {
    return (
      <div className="grid gap-4">
        {back}
        <Alert variant="destructive" role="alert">
          <AlertDescription>{endpoint.error?.data?.code === 'NOT_FOUND' ? t('notFound') : endpoint.error?.message}</AlertDescription>
        </Alert>
      </div>
    );
  }
  const row = endpoint.data;

  return (
    <div className="grid min-w-0 gap-6">
      <PageHeader
        eyebrow={back}
        title={<span className="font-mono text-lg break-all whitespace-normal">{row.url}</span>}
        description={row.description || undefined}
        actions={
          <>
            <Button onClick={() => sendTest.mutate({ id })} disabled={!row.enabled || sendTest.isPending}>
              <Send aria-hidden /> {t('actions.sendTest')}
            </Button>
            <Button variant="outline" onClick={() => update.mutate({ id, enabled: !row.enabled })} disabled={update.isPending}>
              {row.enabled ? t('actions.disable') : t('actions.enable')}
            </Button>
            <ConfirmDialog
              trigger={<Button variant="outline">{t('actions.rotate')}</Button>}
              title={t('actions.rotateConfirm.title')}
              description={t('actions.rotateConfirm.description')}
              confirmLabel={t('actions.rotate')}
              variant="default"
              onConfirm={() => rotate.mutateAsync({ id })}
            />
            <ConfirmDialog
              trigger={<Button variant="outline">{t('actions.delete')}</Button>}
              title={t('actions.deleteConfirm.title')}
              description={t('actions.deleteConfirm.description', { url: row.url })}
              confirmLabel={t('actions.delete')}
              onConfirm={() => remove.mutateAsync({ id })}
            />
          </>
        }
      />
      {!row.enabled && (
        <Alert variant="destructive" role="status">
          <AlertDescription>{row.disabledReason ? t('disabledBecause', { reason: row.disabledReason }) : t('disabledByUser')}</AlertDescription>
        </Alert>
      )}
      <dl className="grid gap-3 text-sm sm:grid-cols-[max-content_1fr] sm:gap-x-6">
        <dt className="font-medium">{t('columns.status')}</dt>
        <dd>
          <Badge variant={row.enabled ? 'secondary' : 'destructive'}>{row.enabled ? t('status.enabled') : t('status.disabled')}</Badge>
        </dd>
        <dt className="font-medium">{t('columns.events')}</dt>
        <dd className="flex flex-wrap gap-1">
          {row.events.map((type) => (
            <Badge key={type} variant="outline" className="font-mono text-xs">
              {type}
            </Badge>
          ))}
        </dd>
        <dt className="font-medium">{t('signingSecret')}</dt>
        <dd className="grid gap-1">
          <span className="font-mono">{t('secretEnding', { last4: row.secretLast4 })}</span>
          {row.previousSecretExpiresAt && row.previousSecretExpiresAt > new Date() && (
            <span className="text-muted-foreground">{t('previousSecretValid', { date: format.dateTime(row.previousSecretExpiresAt, { dateStyle: 'medium', timeStyle: 'short' }) })}</span>
          )}
        </dd>
        <dt className="font-medium">{t('columns.created')}</dt>
        <dd>{format.dateTime(row.createdAt, { dateStyle: 'medium', timeStyle: 'short' })}</dd>
      </dl>
      <WebhookDeliveriesTable endpointId={id} />
      <WebhookSecretDialog secret={secret} rotated onClose={() => setSecret(null)} />
    </div>
  );
}
