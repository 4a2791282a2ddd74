'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { ArrowLeft, Download } from 'lucide-react';
import { toast } from 'sonner';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { ConfirmDialog } from '@/components/common/confirm-dialog';
import { EmptyState } from '@/components/common/empty-state';
import { PageHeader } from '@/components/common/page-header';
import { ProgressWithEta } from '@/components/common/progress-with-eta';
import { Stat } from '@/components/common/stat';
import { DatasetPreview } from '@/components/datasets/dataset-preview';
import { DatasetStatusBadge, IN_PROGRESS } from '@/components/datasets/dataset-status-badge';
import { LengthHistogramChart } from '@/components/datasets/length-histogram-chart';
import { useDatasetFormat } from '@/components/datasets/use-dataset-format';
import { ValidationReportTable } from '@/components/datasets/validation-report-table';
import type { CodeDoc } from '@/lib/universal/dataset-report';
import { useTRPC } from '@/lib/trpc/client';

export function DatasetDetail({ id, docs }: { id: string; docs: Record<string, CodeDoc> }) {
  const t = useTranslations('datasets');
  const fmt = useDatasetFormat();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const dataset = useQuery(trpc.dataset.get.queryOptions({ id }, { retry: false, refetchInterval: (query) => (query.state.data && IN_PROGRESS.has(query.state.data.status) ? 1000 : false) }));
  const remove = useMutation(trpc.dataset.delete.mutationOptions());

  const back = (
    <Link href="/datasets" className="inline-flex items-center gap-1 underline-offset-4 hover:underline">
      <ArrowLeft className="size-3.5" aria-hidden /> {t('detail.back')}
    </Link>
  );

  if (dataset.isLoading) return <Skeleton className="h-64 w-full" />;
  if (!dataset.data) {
    return (
      <div className="grid gap-6">
        <PageHeader eyebrow={back} title={t('title')} />
        <EmptyState title={t('detail.notFound')} />
      </div>
    );
  }
  const d = dataset.data;
  const stats = d.stats;
  const report = d.validation;

  const deleteDataset = async () => {
    try {
      await remove.mutateAsync({ id });
      toast.success(t('delete.done', { name: d.name }));
      void queryClient.invalidateQueries({ queryKey: trpc.dataset.list.queryKey() });
      router.push('/datasets');
    } catch (error) {
      toast.error((error as Error).message);
      throw error;
    }
  };

  return (
    <div className="grid gap-6" data-testid="dataset-detail" data-status={d.status}>
      <PageHeader
        eyebrow={back}
        title={d.name}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <DatasetStatusBadge status={d.status} />
            <span>{fmt.bytes(d.sizeBytes)}</span>
            <span>·</span>
            <span>{fmt.date(d.createdAt)}</span>
          </span>
        }
        actions={
          <>
            <Button asChild variant="outline">
              <a href={`/datasets/${d.id}/download`} download>
                <Download aria-hidden /> {t('download')}
              </a>
            </Button>
            <ConfirmDialog
              trigger={<Button variant="outline">{t('delete.action')}</Button>}
              title={t('delete.title', { name: d.name })}
              description={d.jobs > 0 ? t('delete.inUse', { count: d.jobs }) : t('delete.description')}
              confirmLabel={t('delete.action')}
              onConfirm={deleteDataset}
            />
          </>
        }
      />

      {d.duplicates.length > 0 && (
        <Alert data-testid="dataset-duplicate">
          <AlertTitle>{t('detail.duplicateTitle')}</AlertTitle>
          <AlertDescription>
            <p>
              {t.rich('detail.duplicateDescription', {
                count: d.duplicates.length,
                date: fmt.date(d.duplicates[0]!.createdAt),
                link: (chunks) => (
                  <Link href={`/datasets/${d.duplicates[0]!.id}`} className="font-medium break-all underline underline-offset-4">
                    {chunks}
                  </Link>
                ),
                name: d.duplicates[0]!.name,
              })}
            </p>
          </AlertDescription>
        </Alert>
      )}
      {d.status === 'UPLOADED' && <p className="text-muted-foreground text-sm">{t('detail.uploadedWaiting')}</p>}
      {d.status === 'VALIDATING' && <ProgressWithEta value={(d.progress ?? 0) * 100} label={t('detail.validating')} />}
      {d.status === 'FAILED' && (
        <Alert variant="destructive">
          <AlertTitle>{t('detail.failed')}</AlertTitle>
          <AlertDescription>{d.error}</AlertDescription>
        </Alert>
      )}
      {d.status === 'INVALID' && report && (
        <Alert variant="destructive" data-testid="dataset-invalid">
          <AlertTitle>{t('detail.invalidTitle')}</AlertTitle>
          <AlertDescription>{t('detail.invalidDescription', { errors: report.errors })}</AlertDescription>
        </Alert>
      )}
      {d.status === 'VALID' && report && (
        <Alert data-testid="dataset-valid">
          <AlertTitle>{t('detail.validTitle')}</AlertTitle>
          <AlertDescription>{t('detail.validDescription', { warnings: report.warnings })}</AlertDescription>
        </Alert>
      )}

      {stats && (
        <Card>
          <CardHeader>
            <CardTitle>{t('detail.stats')}</CardTitle>
            <CardDescription>{t('detail.estimateHint')}</CardDescription>
          </CardHeader>
          <CardContent className="grid gap-6">
            <div className="grid grid-cols-2 gap-4 md:grid-cols-3 lg:grid-cols-6" data-testid="dataset-stats">
              <Stat label={t('detail.examples')} value={fmt.count(stats.examples)} hint={report && report.lines !== stats.examples ? t('detail.examplesOfLines', { count: report.lines }) : undefined} />
              <Stat label={t('detail.format')} value={d.format && t.has(`detail.formats.${d.format}`) ? t(`detail.formats.${d.format}`) : '—'} />
              <Stat label={t('detail.messages')} value={fmt.count(stats.messages)} />
              <Stat label={t('detail.estimatedTokens')} value={fmt.compact(stats.estimatedTokens)} />
              <Stat label={t('detail.estimatedTrainedTokens')} value={fmt.compact(stats.estimatedTrainedTokens)} />
              <Stat label={t('detail.meanLength')} value={fmt.count(stats.meanExampleCharacters)} hint={t('detail.longest', { count: fmt.count(stats.maxExampleCharacters) })} />
            </div>
            <div className="grid gap-2">
              <h3 className="text-sm font-medium">{t('detail.histogram')}</h3>
              <LengthHistogramChart histogram={stats.histogram} />
            </div>
          </CardContent>
        </Card>
      )}

      {report && (
        <Card>
          <CardHeader>
            <CardTitle>{t('report.title')}</CardTitle>
          </CardHeader>
          <CardContent>
            <ValidationReportTable report={report} docs={docs} />
          </CardContent>
        </Card>
      )}

      {report && report.validExamples > 0 && (
        <Card>
          <CardHeader>
            <CardTitle>{t('preview.title')}</CardTitle>
            <CardDescription>{t('preview.description')}</CardDescription>
          </CardHeader>
          <CardContent>
            <DatasetPreview datasetId={d.id} />
          </CardContent>
        </Card>
      )}

      {d.sha256 && (
        <p className="text-muted-foreground font-mono text-xs break-all">
          {t('detail.sha256')}: {d.sha256}
        </p>
      )}
    </div>
  );
}
