'use client';

import Link from 'next/link';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { Database, Download } from 'lucide-react';
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { ConfirmDialog } from '@/components/common/confirm-dialog';
import { EmptyState } from '@/components/common/empty-state';
import { PageHeader } from '@/components/common/page-header';
import { Progress } from '@/components/ui/progress';
import { DatasetStatusBadge, IN_PROGRESS } from '@/components/datasets/dataset-status-badge';
import { DatasetUploadDropzone } from '@/components/datasets/dataset-upload-dropzone';
import { useDatasetFormat } from '@/components/datasets/use-dataset-format';
import { useTRPC } from '@/lib/trpc/client';

/** `intro` shows under the page header (the first-run checklist on the landing page). */
export function DatasetsTable({ intro }: { intro?: React.ReactNode } = {}) {
  const t = useTranslations('datasets');
  const fmt = useDatasetFormat();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Polled every second while a dataset is being validated, so its status moves on its own.
  const datasets = useQuery(trpc.dataset.list.queryOptions(undefined, { refetchInterval: (query) => (query.state.data?.some((d) => IN_PROGRESS.has(d.status)) ? 1000 : false) }));
  const remove = useMutation(
    trpc.dataset.delete.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.dataset.list.queryKey() }),
    }),
  );

  const deleteDataset = async (id: string, name: string) => {
    try {
      await remove.mutateAsync({ id });
      toast.success(t('delete.done', { name }));
    } catch (error) {
      toast.error((error as Error).message);
      throw error;
    }
  };

  return (
    <div className="grid gap-6">
      <PageHeader title={t('title')} description={t('description')} />
      {intro}
      <DatasetUploadDropzone />
      {datasets.isLoading ? (
        <Skeleton className="h-32 w-full" />
      ) : !datasets.data?.length ? (
        <EmptyState icon={<Database />} title={t('empty.title')} description={t('empty.description')} />
      ) : (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>{t('columns.name')}</TableHead>
              <TableHead>{t('columns.status')}</TableHead>
              <TableHead className="text-right">{t('columns.examples')}</TableHead>
              <TableHead className="text-right">{t('columns.size')}</TableHead>
              <TableHead>{t('columns.created')}</TableHead>
              <TableHead className="text-right">
                <span className="sr-only">{t('columns.actions')}</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {datasets.data.map((d) => (
              <TableRow key={d.id} data-testid="dataset-row" data-status={d.status}>
                <TableCell className="max-w-xs font-medium">
                  <Link href={`/datasets/${d.id}`} className="block truncate underline-offset-4 hover:underline focus-visible:underline">
                    {d.name}
                  </Link>
                </TableCell>
                <TableCell>
                  <div className="flex flex-col gap-1">
                    <DatasetStatusBadge status={d.status} />
                    {d.status === 'VALIDATING' && d.progress !== null && <Progress value={d.progress * 100} className="h-1 w-24" aria-label={t('detail.validating')} />}
                  </div>
                </TableCell>
                <TableCell className="text-right tabular-nums">{d.examples === null ? '—' : fmt.count(d.examples)}</TableCell>
                <TableCell className="text-right tabular-nums">{fmt.bytes(d.sizeBytes)}</TableCell>
                <TableCell>{fmt.date(d.createdAt)}</TableCell>
                <TableCell className="text-right">
                  <div className="flex justify-end gap-1">
                    <Button asChild variant="ghost" size="sm">
                      <a href={`/datasets/${d.id}/download`} download aria-label={`${t('download')} ${d.name}`}>
                        <Download aria-hidden />
                      </a>
                    </Button>
                    <ConfirmDialog
                      trigger={
                        <Button variant="outline" size="sm">
                          {t('delete.action')}
                        </Button>
                      }
                      title={t('delete.title', { name: d.name })}
                      description={t('delete.description')}
                      confirmLabel={t('delete.action')}
                      onConfirm={() => deleteDataset(d.id, d.name)}
                    />
                  </div>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </div>
  );
}
