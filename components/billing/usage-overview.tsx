'use client';

import { useSearchParams } from 'next/navigation';
import { useTranslations } from 'next-intl';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { PageHeader } from '@/components/common/page-header';
import { UsageCharts } from '@/components/usage/usage-charts';
import { AutoTopUpForm, BillingStatus, BuyCredits, PortalAndInvoices, SpendCaps, useSummary } from '@/components/billing/billing-panel';

export function UsageOverview() {
  const t = useTranslations('billing');
  const summary = useSummary();
  const cancelled = useSearchParams().get('checkout') === 'cancelled';
  return (
    <div className="grid min-w-0 grid-cols-1 gap-6">
      <PageHeader title={t('title')} description={t('description')} />
      {cancelled && (
        <Alert>
          <AlertDescription>{t('buy.cancelled')}</AlertDescription>
        </Alert>
      )}
      {summary.data && (
        <>
          <BillingStatus summary={summary.data} />
          <BuyCredits summary={summary.data} />
          <PortalAndInvoices summary={summary.data} />
          <AutoTopUpForm key={`auto-${summary.data.autoTopUp.enabled}-${summary.data.autoTopUp.packId}`} summary={summary.data} />
          <SpendCaps key={`cap-${summary.data.monthlySpendCap}`} summary={summary.data} />
        </>
      )}
      <UsageCharts />
    </div>
  );
}
