'use client';

import { useQuery } from '@tanstack/react-query';
import { useFormatter, useTranslations } from 'next-intl';
import { Stat } from '@/components/common/stat';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { useTRPC } from '@/lib/trpc/client';

const KEYS = ['concurrentDeployments', 'concurrentJobs', 'storageBytes', 'importsPerDay'] as const;

/** What the organization uses of each limit a platform administrator sets. */
export function OrganizationLimitsCard() {
  const t = useTranslations('settings.limits');
  const format = useFormatter();
  const trpc = useTRPC();
  const quotas = useQuery(trpc.organization.quotas.queryOptions());
  const show = (key: (typeof KEYS)[number], n: number) => (key === 'storageBytes' ? format.number(n / 1024 ** 3, { maximumFractionDigits: 2 }) + ' GiB' : format.number(n));
  return (
    <Card data-testid="organization-limits">
      <CardHeader>
        <CardTitle>{t('title')}</CardTitle>
        <CardDescription>{t('description')}</CardDescription>
      </CardHeader>
      <CardContent className="grid grid-cols-2 gap-4 py-4">
        {quotas.data &&
          KEYS.map((key) => (
            <Stat key={key} label={t(key)} value={t('usedOf', { used: show(key, quotas.data.usage[key]), limit: show(key, quotas.data.limits[key]) })} />
          ))}
        {quotas.data && (
          <p className="text-muted-foreground col-span-2 text-sm">
            {t.rich('importFolder', { folder: () => <code className="break-all">LATHE_IMPORT_ROOT/{quotas.data.organizationId}</code> })}
          </p>
        )}
      </CardContent>
    </Card>
  );
}
