'use client';

import { useQuery } from '@tanstack/react-query';
import { useFormatter, useTranslations } from 'next-intl';
import { Receipt } from 'lucide-react';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { EmptyState } from '@/components/common/empty-state';
import { PageHeader } from '@/components/common/page-header';
import { Stat } from '@/components/common/stat';
import { useTRPC } from '@/lib/trpc/client';

export function UsageOverview() {
  const t = useTranslations('billing');
  const format = useFormatter();
  const trpc = useTRPC();
  const balance = useQuery(trpc.billing.balance.queryOptions());
  const ledger = useQuery(trpc.billing.ledger.queryOptions({ limit: 50 }));
  return (
    <div className="grid gap-6">
      <PageHeader title={t('title')} description={t('description')} />
      <div className="grid gap-4 sm:grid-cols-3">
        <Card>
          <CardContent className="py-4">
            <Stat label={t('balance')} value={balance.data ? format.number(Number(balance.data.balance), { maximumFractionDigits: 2 }) : '…'} />
          </CardContent>
        </Card>
      </div>
      <Card>
        <CardHeader>
          <CardTitle>{t('ledger')}</CardTitle>
        </CardHeader>
        <CardContent className="py-4">
          {ledger.data && ledger.data.entries.length === 0 ? (
            <EmptyState icon={<Receipt />} title={t('emptyTitle')} description={t('emptyDescription')} />
          ) : (
            <Table>
              <TableHeader>
                <TableRow>
                  <TableHead>{t('date')}</TableHead>
                  <TableHead>{t('kind')}</TableHead>
                  <TableHead>{t('memo')}</TableHead>
                  <TableHead className="text-right">{t('amount')}</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {ledger.data?.entries.map((e) => (
                  <TableRow key={e.id}>
                    <TableCell>{format.dateTime(e.createdAt, { dateStyle: 'medium', timeStyle: 'short' })}</TableCell>
                    <TableCell>
                      <Badge variant="secondary">{t(`kinds.${e.kind}`)}</Badge>
                    </TableCell>
                    <TableCell className="text-muted-foreground">{e.memo}</TableCell>
                    <TableCell className="text-right font-mono tabular-nums">{format.number(Number(e.amount), { signDisplay: 'always', maximumFractionDigits: 6 })}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </CardContent>
      </Card>
    </div>
  );
}
