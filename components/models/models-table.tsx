'use client';

import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { Bot, Plus } from 'lucide-react';
import { toast } from 'sonner';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { CodeBlock } from '@/components/common/code-block';
import { ConfirmDialog } from '@/components/common/confirm-dialog';
import { EmptyState } from '@/components/common/empty-state';
import { PageHeader } from '@/components/common/page-header';
import { ProgressWithEta } from '@/components/common/progress-with-eta';
import { StatusBadge } from '@/components/common/status-badge';
import { FineTunedModels } from '@/components/models/fine-tuned-models';
import { ImportModelDialog, type EditedImport } from '@/components/models/import-model-dialog';
import { ModelDetailsSheet } from '@/components/models/model-details-sheet';
import { estimateSecondsLeft, useModelFormat } from '@/components/models/use-model-format';
import { DeploymentControls } from '@/components/serving/deployment-controls';
import { useTRPC } from '@/lib/trpc/client';
import type { ModelRow } from '@/components/models/model-row';

const IMPORTING = new Set<ModelRow['status']>(['REQUESTED', 'DOWNLOADING', 'CONVERTING']);

export function ModelsTable({ admin, serverPaths }: { admin: boolean; serverPaths: boolean }) {
  const t = useTranslations('models');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const fmt = useModelFormat();
  // Polled every second while an import runs, so progress moves without a page reload.
  const models = useQuery(
    trpc.model.list.queryOptions(undefined, { refetchInterval: (query) => (query.state.data?.some((m) => IMPORTING.has(m.status)) ? 1000 : false) }),
  );
  const org = useQuery(trpc.organization.current.queryOptions());
  const canManage = admin || org.data?.role === 'OWNER' || org.data?.role === 'ADMIN';
  const [importing, setImporting] = useState(false);
  const [editing, setEditing] = useState<EditedImport | null>(null);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const retry = useMutation(
    trpc.model.retryImport.mutationOptions({
      onSuccess: (model) => {
        toast.success(t('retry.done', { name: model.name }));
        void queryClient.invalidateQueries({ queryKey: trpc.model.list.queryKey() });
      },
      onError: (error) => toast.error(error.message),
    }),
  );
  const selected = models.data?.find((m) => m.id === selectedId) ?? null;
  const remove = useMutation(
    trpc.model.delete.mutationOptions({
      onSuccess: (res) => {
        toast.success(t('delete.done', { name: res.name }));
        void queryClient.invalidateQueries({ queryKey: trpc.model.list.queryKey() });
      },
      onError: (error) => toast.error(error.message),
    }),
  );

  const importButton = canManage ? (
    <Button onClick={() => setImporting(true)}>
      <Plus aria-hidden /> {t('import')}
    </Button>
  ) : undefined;

  return (
    <div className="grid gap-6">
      <PageHeader title={t('title')} description={t('description')} actions={models.data?.length ? importButton : undefined} />
      {models.isLoading ? (
        <Skeleton className="h-32 w-full" />
      ) : !models.data?.length ? (
        <EmptyState
          icon={<Bot />}
          title={t('empty.title')}
          description={t('empty.description')}
          action={
            <div className="grid w-full max-w-lg gap-3">
              <CodeBlock code={'lathe fixtures tiny-model --out ./tiny\nlathe models import ./tiny --name tiny'} language="bash" />
              {importButton && <div className="flex justify-center">{importButton}</div>}
            </div>
          }
        />
      ) : (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>{t('columns.name')}</TableHead>
              <TableHead className="w-60">{t('columns.status')}</TableHead>
              <TableHead>{t('columns.architecture')}</TableHead>
              <TableHead className="text-right">{t('columns.parameters')}</TableHead>
              <TableHead className="text-right">{t('columns.context')}</TableHead>
              <TableHead className="text-right">{t('columns.size')}</TableHead>
              <TableHead>{t('columns.scope')}</TableHead>
              <TableHead className="text-right">
                <span className="sr-only">{t('columns.actions')}</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {models.data.map((m) => (
              <TableRow key={m.id} data-testid="model-row" data-model={m.name} data-status={m.status}>
                <TableCell className="align-top">
                  <div className="flex flex-col gap-1">
                    <span className="font-mono text-sm font-medium">{m.name}</span>
                    <div className="flex flex-wrap gap-1">
                      {m.chatCapable && <Badge variant="secondary">{t('badges.chat')}</Badge>}
                      {m.status === 'READY' && !m.trainable && <Badge variant="outline">{t('badges.servingOnly')}</Badge>}
                    </div>
                  </div>
                </TableCell>
                <TableCell className="w-60 max-w-60 align-top whitespace-normal">
                  <ModelStatus model={m} />
                  {m.status === 'FAILED' && canManage && (m.scope === 'organization' || admin) && (
                    <div className="mt-2 flex flex-wrap gap-2">
                      <Button
                        variant="outline"
                        size="sm"
                        disabled={retry.isPending && retry.variables?.id === m.id}
                        onClick={() => retry.mutate({ id: m.id })}
                        aria-label={`${t('retry.button')}: ${m.name}`}
                      >
                        {t('retry.button')}
                      </Button>
                      <Button
                        variant="outline"
                        size="sm"
                        onClick={() => setEditing({ id: m.id, name: m.name, source: m.source, sourceRef: m.sourceRef, revision: m.revision, scope: m.scope })}
                        aria-label={`${t('retry.edit')}: ${m.name}`}
                      >
                        {t('retry.edit')}
                      </Button>
                    </div>
                  )}
                  {m.status === 'READY' && <DeploymentControls baseModelId={m.id} name={m.name} canUndeploy={m.scope === 'organization' ? canManage : admin} />}
                </TableCell>
                <TableCell className="align-top">{m.architecture ?? '—'}</TableCell>
                <TableCell className="text-right align-top tabular-nums">{fmt.count(m.parameters)}</TableCell>
                <TableCell className="text-right align-top tabular-nums">{m.contextLength ?? '—'}</TableCell>
                <TableCell className="text-right align-top tabular-nums">{fmt.bytes(m.sizeBytes)}</TableCell>
                <TableCell className="align-top">{t(`scope.${m.scope}`)}</TableCell>
                <TableCell className="text-right align-top">
                  <div className="flex justify-end gap-2">
                    <Button variant="outline" size="sm" onClick={() => setSelectedId(m.id)} aria-label={`${t('detailsButton')}: ${m.name}`}>
                      {t('detailsButton')}
                    </Button>
                    {canManage && (m.scope === 'organization' || admin) && !IMPORTING.has(m.status) && (
                      <ConfirmDialog
                        trigger={
                          <Button variant="outline" size="sm" aria-label={`${t('delete.button')}: ${m.name}`}>
                            {t('delete.button')}
                          </Button>
                        }
                        title={t('delete.title', { name: m.name })}
                        description={t('delete.description')}
                        confirmLabel={t('delete.button')}
                        onConfirm={() => remove.mutateAsync({ id: m.id })}
                      />
                    )}
                  </div>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <FineTunedModels admin={admin} canManage={canManage} />
      <ImportModelDialog open={importing} onOpenChange={setImporting} admin={admin} serverPaths={serverPaths} />
      <ImportModelDialog open={editing !== null} onOpenChange={(open) => !open && setEditing(null)} admin={admin} serverPaths={serverPaths} editing={editing} />
      <ModelDetailsSheet model={selected} onOpenChange={(open) => !open && setSelectedId(null)} />
    </div>
  );
}

function ModelStatus({ model }: { model: ModelRow }) {
  const t = useTranslations('models');
  const fmt = useModelFormat();
  const importing = model.status === 'DOWNLOADING' || model.status === 'CONVERTING';
  const step = STEPS.find((s) => s === model.stage?.step);
  return (
    <div className="flex flex-col gap-2">
      <StatusBadge status={model.status} />
      {importing && (
        <>
          <ProgressWithEta
            value={(model.progress ?? 0) * 100}
            etaSeconds={estimateSecondsLeft(model.progress, model.stage?.startedAt, Date.now())}
            label={t('progressLabel', { name: model.name })}
          />
          <p className="text-muted-foreground text-xs">
            {step ? t(`steps.${step}`) : null}
            {model.stage?.totalBytes ? ` · ${t('bytes', { done: fmt.bytes(model.stage.bytes ?? 0), total: fmt.bytes(model.stage.totalBytes) })}` : null}
          </p>
        </>
      )}
      {model.status === 'FAILED' && model.error && (
        <p className="text-destructive text-xs break-words" role="note" aria-label={t('failed')}>
          {model.error}
        </p>
      )}
    </div>
  );
}

const STEPS = ['download', 'store', 'convert', 'check'] as const;
