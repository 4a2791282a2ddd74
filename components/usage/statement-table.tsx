'use client';

import { useQuery } from '@tanstack/react-query';
import { useFormatter, useTranslations } from 'next-intl';
import { Download, Receipt } from 'lucide-react';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { EmptyState } from '@/components/common/empty-state';
import { useTRPC } from '@/lib/trpc/client';
import { downloadCsv } from './csv';

export function StatementTable({ from, to }: { from: string; to: string }) {
  const t = useTranslations('billing');
  const format = useFormatter();
  const trpc = useTRPC();
  const statement = useQuery(trpc.billing.statement.queryOptions({ from, to }));
  const credits = (v: string, sign = false) => format.number(Number(v), { maximumFractionDigits: 6, ...(sign ? { signDisplay: 'always' as const } : {}) });
  const exportCsv = () =>
    downloadCsv(`lathe-statement-${from}-${to}.csv`, [
      ['date', 'kind', 'memo', 'amount', 'balance', 'job'],
      ...(statement.data?.lines ?? []).map((l) => [new Date(l.createdAt).toISOString(), l.kind, l.memo, l.amount, l.balance, l.jobId]),
    ]);
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('statement.title')}</CardTitle>
        <CardDescription>{t('statement.description')}</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        {statement.data && (
          <p className="text-muted-foreground text-sm" data-testid="statement-balances">
            {t('statement.opening', { balance: credits(statement.data.openingBalance) })} · {t('statement.closing', { balance: credits(statement.data.closingBalance) })}
          </p>
        )}
        {statement.data && statement.data.lines.length === 0 ? (
          <EmptyState icon={<Receipt />} title={t('emptyTitle')} description={t('emptyDescription')} />
        ) : (
          <div className="overflow-x-auto">
            <Table>
              <TableHeader>
                <TableRow>
                  <TableHead>{t('date')}</TableHead>
                  <TableHead>{t('kind')}</TableHead>
                  <TableHead>{t('memo')}</TableHead>
                  <TableHead className="text-right">{t('amount')}</TableHead>
                  <TableHead className="text-right">{t('statement.balanceAfter')}</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {statement.data?.lines
                  .slice()
                  .reverse()
                  .map((l) => (
                    <TableRow key={l.id}>
                      <TableCell className="whitespace-nowrap">{format.dateTime(new Date(l.createdAt), { dateStyle: 'medium', timeStyle: 'short' })}</TableCell>
                      <TableCell>
                        <Badge variant="secondary">{t(`kinds.${l.kind as 'GRANT'}`)}</Badge>
                      </TableCell>
                      <TableCell className="text-muted-foreground max-w-72 break-words whitespace-normal">{l.memo}</TableCell>
                      <TableCell className="text-right font-mono tabular-nums">{credits(l.amount, true)}</TableCell>
                      <TableCell className="text-right font-mono tabular-nums">{credits(l.balance)}</TableCell>
                    </TableRow>
                  ))}
              </TableBody>
            </Table>
          </div>
        )}
        {statement.data?.truncated && <p className="text-muted-foreground text-sm">{t('statement.truncated')}</p>}
        <div>
          <Button variant="outline" onClick={exportCsv} disabled={!statement.data || statement.data.lines.length === 0}>
            <Download aria-hidden /> {t('statement.csv')}
          </Button>
        </div>
      </CardContent>
    </Card>
  );
}
