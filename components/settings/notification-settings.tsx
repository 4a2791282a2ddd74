'use client';

import { useId } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { toast } from 'sonner';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Switch } from '@/components/ui/switch';
import { useTRPC } from '@/lib/trpc/client';

/** The user's notification preferences: a mail when a job they started ends (on by default). */
export function NotificationSettings() {
  const t = useTranslations('notificationSettings');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const me = useQuery(trpc.account.me.queryOptions());
  const save = useMutation(
    trpc.account.setNotifications.mutationOptions({
      onSuccess: (res) => {
        toast.success(res.emailOnJobEnd ? t('on') : t('off'));
        void queryClient.invalidateQueries({ queryKey: trpc.account.me.queryKey() });
      },
      onError: (e) => toast.error(e.message),
    }),
  );
  return (
    <Card className="max-w-2xl" data-testid="notification-settings">
      <CardHeader>
        <CardTitle>{t('title')}</CardTitle>
        <CardDescription>{t('description')}</CardDescription>
      </CardHeader>
      <CardContent className="flex items-start justify-between gap-4 py-4">
        <div className="grid gap-1">
          <label htmlFor={id} className="text-sm font-medium">
            {t('jobEnd')}
          </label>
          <p className="text-muted-foreground text-xs">{t('jobEndHint')}</p>
        </div>
        <Switch
          id={id}
          checked={me.data?.emailOnJobEnd ?? true}
          disabled={!me.data || save.isPending}
          onCheckedChange={(checked) => save.mutate({ emailOnJobEnd: checked })}
        />
      </CardContent>
    </Card>
  );
}
