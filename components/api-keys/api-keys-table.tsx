'use client';

import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useFormatter, useNow, useTranslations } from 'next-intl';
import { KeyRound, Plus } from 'lucide-react';
import { toast } from 'sonner';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { ConfirmDialog } from '@/components/common/confirm-dialog';
import { EmptyState } from '@/components/common/empty-state';
import { PageHeader } from '@/components/common/page-header';
import { CreateApiKeyDialog } from '@/components/api-keys/create-api-key-dialog';
import { useTRPC } from '@/lib/trpc/client';

export function ApiKeysTable() {
  const t = useTranslations('apiKeys');
  const format = useFormatter();
  // relativeTime needs a `now`: without one next-intl logs ENVIRONMENT_FALLBACK on every render.
  const now = useNow({ updateInterval: 60_000 });
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.apiKey.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const revoke = useMutation(
    trpc.apiKey.revoke.mutationOptions({
      onSuccess: (key) => {
        toast.success(t('revoked', { name: key.name }));
        void queryClient.invalidateQueries({ queryKey: trpc.apiKey.list.queryKey() });
      },
      onError: (error) => toast.error(error.message),
    }),
  );

  const createButton = (
    <Button onClick={() => setCreating(true)}>
      <Plus aria-hidden /> {t('create')}
    </Button>
  );

  return (
    <div className="grid gap-6">
      <PageHeader title={t('title')} description={t('description')} actions={keys.data?.length ? createButton : undefined} />
      {keys.isLoading ? (
        <Skeleton className="h-32 w-full" />
      ) : !keys.data?.length ? (
        <EmptyState icon={<KeyRound />} title={t('empty.title')} description={t('empty.description')} action={createButton} />
      ) : (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>{t('columns.name')}</TableHead>
              <TableHead>{t('columns.key')}</TableHead>
              <TableHead>{t('columns.created')}</TableHead>
              <TableHead>{t('columns.lastUsed')}</TableHead>
              <TableHead className="text-right">
                <span className="sr-only">{t('columns.actions')}</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {keys.data.map((key) => (
              <TableRow key={key.id} data-testid="api-key-row">
                <TableCell className="font-medium">{key.name}</TableCell>
                <TableCell className="font-mono text-xs">{key.prefix}…</TableCell>
                <TableCell>{format.dateTime(key.createdAt, { dateStyle: 'medium' })}</TableCell>
                <TableCell>{key.lastUsedAt ? format.relativeTime(key.lastUsedAt, now) : t('never')}</TableCell>
                <TableCell className="text-right">
                  {key.revokedAt ? (
                    <Badge variant="secondary">{t('revokedBadge')}</Badge>
                  ) : (
                    <ConfirmDialog
                      trigger={
                        <Button variant="outline" size="sm">
                          {t('revoke')}
                        </Button>
                      }
                      title={t('revokeConfirm.title', { name: key.name })}
                      description={t('revokeConfirm.description')}
                      confirmLabel={t('revoke')}

                      onConfirm={() => revoke.mutateAsync({ id: key.id })}
                    />
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <CreateApiKeyDialog open={creating} onOpenChange={setCreating} />
    </div>
  );
}
