'use client';

import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useQuery } from '@tanstack/react-query';
import { useFormatter, useTranslations } from 'next-intl';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardContent } from '@/components/ui/card';
import { PageHeader } from '@/components/common/page-header';
import { Stat } from '@/components/common/stat';
import { useTRPC } from '@/lib/trpc/client';

/** After Stripe Checkout: "being confirmed" until the webhook credits the pack, then the new balance, without a reload. */
export function CheckoutResult() {
  const t = useTranslations('billing');
  const format = useFormatter();
  const trpc = useTRPC();
  const sessionId = useSearchParams().get('session_id') ?? '';
  const status = useQuery({
    ...trpc.billing.checkoutStatus.queryOptions({ sessionId }),
    enabled: sessionId.length > 0,
    refetchInterval: (q) => (q.state.data?.credited || q.state.data?.failed ? false : 1000),
  });
  const credited = status.data?.credited ?? false;
  // Polled until it has been read after the credit landed.
  const balance = useQuery({ ...trpc.billing.balance.queryOptions(), refetchInterval: (q) => (credited && q.state.dataUpdatedAt > status.dataUpdatedAt ? false : 1000) });
  return (
    <div className="grid min-w-0 grid-cols-1 gap-6">
      <PageHeader title={t('checkout.title')} />
      <Card>
        <CardContent className="grid gap-4 py-6" aria-live="polite">
          {status.data?.failed ? (
            <Alert variant="destructive">
              <AlertDescription>{t('checkout.failed')}</AlertDescription>
            </Alert>
          ) : credited ? (
            <p data-testid="checkout-credited">{t('checkout.credited', { credits: format.number(Number(status.data?.credits ?? 0)) })}</p>
          ) : (
            <p data-testid="checkout-confirming">{t('checkout.confirming')}</p>
          )}
          <Stat label={t('checkout.newBalance')} value={<span data-testid="checkout-balance">{balance.data ? format.number(Number(balance.data.balance), { maximumFractionDigits: 6 }) : '…'}</span>} />
          <div>
            <Button asChild variant="outline">
              <Link href="/usage">{t('checkout.back')}</Link>
            </Button>
          </div>
        </CardContent>
      </Card>
    </div>
  );
}
