'use client';

import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from '@/components/ui/card';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { useTRPC } from '@/lib/trpc/client';

const KEYS = ['concurrentDeployments', 'concurrentJobs', 'storageBytes', 'importsPerDay'] as const;
type Key = (typeof KEYS)[number];
const GIB = 1024 ** 3;

/** Storage is edited in GiB, the other limits as counts; an empty field is the environment's default. */
const toField = (key: Key, value: number | undefined) => (value === undefined ? '' : String(key === 'storageBytes' ? value / GIB : value));
const fromField = (key: Key, text: string) => (text.trim() === '' ? null : Math.round(Number(text) * (key === 'storageBytes' ? GIB : 1)));

/** A platform administrator's view of one organization's limits, with the defaults they override. */
export function OrganizationQuotasForm() {
  const t = useTranslations('admin.quotas');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const organizations = useQuery(trpc.admin.organizations.queryOptions());
  const [organizationId, setOrganizationId] = useState('');
  const quotas = useQuery(trpc.admin.quotas.get.queryOptions({ organizationId }, { enabled: organizationId !== '' }));
  const save = useMutation(
    trpc.admin.quotas.set.mutationOptions({
      onSuccess: () => {
        toast.success(t('saved'));
        void queryClient.invalidateQueries({ queryKey: trpc.admin.quotas.get.queryKey({ organizationId }) });
      },
    }),
  );

  return (
    <Card className="min-w-0" data-testid="organization-quotas">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          save.mutate({ organizationId, ...Object.fromEntries(KEYS.map((key) => [key, fromField(key, String(form.get(key) ?? ''))])) });
        }}
      >
        <CardHeader>
          <CardTitle>{t('title')}</CardTitle>
          <CardDescription>{t('description')}</CardDescription>
        </CardHeader>
        <CardContent className="grid min-w-0 grid-cols-1 gap-4 py-4 [&>*]:min-w-0">
          <FormField label={t('organization')}>
            {(control) => (
              <Select value={organizationId} onValueChange={setOrganizationId}>
                <SelectTrigger {...control} className="w-full">
                  <SelectValue placeholder={t('choose')} />
                </SelectTrigger>
                <SelectContent>
                  {organizations.data?.map((o) => (
                    <SelectItem key={o.id} value={o.id}>
                      {o.name} ({o.slug})
                    </SelectItem>
                  ))}
                </SelectContent>
              </Select>
            )}
          </FormField>
          {quotas.data && (
            <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 [&>*]:min-w-0" key={`${organizationId}-${quotas.dataUpdatedAt}`}>
              {KEYS.map((key) => (
                <FormField key={key} label={t(key)} description={t('inUse', { used: toField(key, quotas.data.usage[key]) || '0', fallback: toField(key, quotas.data.defaults[key]) })}>
                  <Input name={key} type="number" min={0} step={key === 'storageBytes' ? 'any' : 1} defaultValue={toField(key, quotas.data.overrides[key])} placeholder={toField(key, quotas.data.defaults[key])} />
                </FormField>
              ))}
            </div>
          )}
          {save.error && <p className="text-destructive text-sm">{save.error.message}</p>}
        </CardContent>
        <CardFooter>
          <Button type="submit" disabled={!quotas.data || save.isPending}>
            {t('save')}
          </Button>
        </CardFooter>
      </form>
    </Card>
  );
}
