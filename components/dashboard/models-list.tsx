'use client';

import { useQuery } from '@tanstack/react-query';
import { useFormatter, useTranslations } from 'next-intl';
import { Bot } from 'lucide-react';
import { Badge } from '@/components/ui/badge';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { EmptyState } from '@/components/common/empty-state';
import { PageHeader } from '@/components/common/page-header';
import { CodeBlock } from '@/components/common/code-block';
import { useTRPC } from '@/lib/trpc/client';

export function ModelsList() {
  const t = useTranslations('dashboard.sections.models');
  const format = useFormatter();
  const trpc = useTRPC();
  const models = useQuery(trpc.model.usable.queryOptions());
  return (
    <div className="grid gap-6">
      <PageHeader title={t('title')} description={t('description')} />
      {models.data?.length === 0 ? (
        <EmptyState icon={<Bot />} title={t('emptyTitle')} description={t('emptyDescription')} action={<CodeBlock code="lathe fixtures tiny-model --out ./tiny\nlathe models import ./tiny --name tiny" language="bash" />} />
      ) : (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>{t('name')}</TableHead>
              <TableHead>{t('kind')}</TableHead>
              <TableHead>{t('created')}</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {models.data?.map((m) => (
              <TableRow key={m.id}>
                <TableCell className="font-mono text-sm">{m.id}</TableCell>
                <TableCell>
                  <Badge variant="secondary">{t(`kinds.${m.kind}`)}</Badge>
                </TableCell>
                <TableCell>{format.dateTime(new Date(m.created * 1000), { dateStyle: 'medium' })}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </div>
  );
}
