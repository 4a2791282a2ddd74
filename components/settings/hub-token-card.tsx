'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useFormatter, useTranslations } from 'next-intl';
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from '@/components/ui/card';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { useTRPC } from '@/lib/trpc/client';

/** The organization's own Hugging Face token: stored encrypted, shown only by its last characters. */
export function HubTokenCard({ canManage }: { canManage: boolean }) {
  const t = useTranslations('settings.hubToken');
  const format = useFormatter();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.organization.hubToken.get.queryOptions());
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.organization.hubToken.get.queryKey() });
  const save = useMutation(trpc.organization.hubToken.set.mutationOptions({ onSuccess: () => (toast.success(t('saved')), refresh()) }));
  const remove = useMutation(trpc.organization.hubToken.delete.mutationOptions({ onSuccess: () => (toast.success(t('removed')), refresh()) }));

  return (
    <Card data-testid="hub-token">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const formEl = e.currentTarget;
          save.mutate({ token: String(new FormData(formEl).get('token')) }, { onSuccess: () => formEl.reset() });
        }}
      >
        <CardHeader>
          <CardTitle>{t('title')}</CardTitle>
          <CardDescription>{t('description')}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-3 py-4">
          <p className="text-sm" aria-live="polite">
            {status.data?.configured && status.data.updatedAt
              ? t('configured', { last4: status.data.last4 ?? '', date: format.dateTime(status.data.updatedAt, { dateStyle: 'medium' }) })
              : t('none')}
          </p>
          {canManage && (
            <FormField label={t('token')} description={t('tokenHint')} error={save.error?.message}>
              <Input name="token" type="password" autoComplete="off" placeholder="hf_…" required maxLength={300} />
            </FormField>
          )}
        </CardContent>
        {canManage && (
          <CardFooter className="gap-2">
            <Button type="submit" disabled={save.isPending}>
              {status.data?.configured ? t('replace') : t('save')}
            </Button>
            {status.data?.configured && (
              <Button type="button" variant="outline" disabled={remove.isPending} onClick={() => remove.mutate()}>
                {t('remove')}
              </Button>
            )}
          </CardFooter>
        )}
      </form>
    </Card>
  );
}
