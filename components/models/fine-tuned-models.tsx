'use client';

import Link from 'next/link';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { Download, MessageSquare, Sparkles } from 'lucide-react';
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuLabel, DropdownMenuTrigger } from '@/components/ui/dropdown-menu';
import { Skeleton } from '@/components/ui/skeleton';
import { ConfirmDialog } from '@/components/common/confirm-dialog';
import { EmptyState } from '@/components/common/empty-state';
import { StatusBadge } from '@/components/common/status-badge';
import { useModelFormat } from '@/components/models/use-model-format';
import { DeploymentControls } from '@/components/serving/deployment-controls';
import { useTRPC } from '@/lib/trpc/client';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@/server/api/root';

type Tuned = inferRouterOutputs<AppRouter>['serving']['fineTuned'][number];

const LABELS = { 'adapter.zip': 'adapterZip', 'adapter.gguf': 'adapterGguf', 'merged.gguf': 'mergedGguf', 'merged-hf.zip': 'mergedHf' } as const;

/**
 * The project's fine-tuned models, grouped by base model. A fine-tune is served by its base model's
 * deployment, so each group carries that deployment's state and its deploy and undeploy buttons.
 */
export function FineTunedModels({ admin, canManage }: { admin: boolean; canManage: boolean }) {
  const t = useTranslations('serving.fineTuned');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tuned = useQuery(trpc.serving.fineTuned.queryOptions());
  const deployments = useQuery(trpc.serving.deployments.queryOptions());
  const remove = useMutation(
    trpc.serving.deleteFineTuned.mutationOptions({
      onSuccess: (res) => {
        toast.success(t('deleted', { name: res.id }));
        void queryClient.invalidateQueries({ queryKey: trpc.serving.fineTuned.queryKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.serving.chatModels.queryKey() });
      },
      onError: (error) => toast.error(error.message),
    }),
  );

  const groups = new Map<string, { baseModelId: string; baseModel: string; models: Tuned[] }>();
  for (const m of tuned.data ?? []) {
    const group = groups.get(m.baseModelId) ?? { baseModelId: m.baseModelId, baseModel: m.baseModel, models: [] };
    group.models.push(m);
    groups.set(m.baseModelId, group);
  }

  return (
    <section className="grid min-w-0 gap-4" aria-labelledby="fine-tuned-title" data-testid="fine-tuned-models">
      <div className="grid gap-1">
        <h2 id="fine-tuned-title" className="text-xl font-semibold tracking-tight">
          {t('title')}
        </h2>
        <p className="text-muted-foreground text-sm">{t('description')}</p>
      </div>
      {tuned.isLoading ? (
        <Skeleton className="h-24 w-full" />
      ) : groups.size === 0 ? (
        <EmptyState
          icon={<Sparkles />}
          title={t('title')}
          description={t('empty')}
          action={
            <Button asChild>
              <Link href="/jobs/new">{t('startJob')}</Link>
            </Button>
          }
        />
      ) : (
        [...groups.values()].map((group) => {
          const scope = deployments.data?.find((d) => d.baseModelId === group.baseModelId)?.scope;
          return (
            <Card key={group.baseModelId} className="min-w-0" data-testid="fine-tuned-group" data-base-model={group.baseModel}>
              <CardHeader>
                <CardTitle className="break-all" as="h3">{t('base', { name: group.baseModel })}</CardTitle>
                <DeploymentControls baseModelId={group.baseModelId} name={group.baseModel} canUndeploy={scope === 'organization' ? canManage : admin} />
              </CardHeader>
              <CardContent>
                <ul className="divide-y">
                  {group.models.map((m) => (
                    <FineTunedRow key={m.id} model={m} onDelete={() => remove.mutateAsync({ id: m.id })} />
                  ))}
                </ul>
              </CardContent>
            </Card>
          );
        })
      )}
    </section>
  );
}

function FineTunedRow({ model, onDelete }: { model: Tuned; onDelete: () => Promise<unknown> }) {
  const t = useTranslations('serving.fineTuned');
  const tDownloads = useTranslations('serving.downloads');
  const fmt = useModelFormat();
  return (
    <li className="flex min-w-0 flex-col gap-3 py-3 first:pt-0 last:pb-0 md:flex-row md:items-center md:justify-between" data-testid="fine-tuned-model" data-model={model.name}>
      <div className="grid min-w-0 gap-1">
        <span className="font-mono text-sm font-medium break-all">{model.name}</span>
        <div className="text-muted-foreground flex flex-wrap items-center gap-2 text-xs">
          {model.job ? (
            <>
              <Link href={`/jobs/${model.job.id}`} className="underline underline-offset-4">
                {t('job', { name: model.job.suffix ?? model.job.id })}
              </Link>
              <StatusBadge status={model.job.status} />
            </>
          ) : (
            <span>{t('noJob')}</span>
          )}
        </div>
      </div>
      <div className="flex flex-wrap gap-2 md:shrink-0 md:flex-nowrap">
        <Button variant="outline" size="sm" asChild>
          <Link href={`/playground?model=${encodeURIComponent(model.name)}`}>
            {/* The visible words start the accessible name; the model's name ends it. */}
            <MessageSquare aria-hidden /> {t('playground')}
            <span className="sr-only">: {model.name}</span>
          </Link>
        </Button>
        <DropdownMenu>
          <DropdownMenuTrigger asChild>
            <Button variant="outline" size="sm" aria-label={t('downloadsFor', { name: model.name })}>
              <Download aria-hidden /> {t('downloads')}
            </Button>
          </DropdownMenuTrigger>
          <DropdownMenuContent align="end">
            <DropdownMenuLabel>{t('downloads')}</DropdownMenuLabel>
            {model.downloads.length === 0 ? (
              <DropdownMenuItem disabled>{t('noDownloads')}</DropdownMenuItem>
            ) : (
              model.downloads.map((link) => (
                <DropdownMenuItem key={link.artifact} asChild>
                  <a href={link.href} download title={link.artifact.startsWith('merged') && !link.ready ? tDownloads('mergedHint') : undefined}>
                    {tDownloads(LABELS[link.artifact])}
                    {link.size !== null && <span className="text-muted-foreground ml-auto pl-3 tabular-nums">{fmt.bytes(link.size)}</span>}
                  </a>
                </DropdownMenuItem>
              ))
            )}
          </DropdownMenuContent>
        </DropdownMenu>
        <ConfirmDialog
          trigger={
            <Button variant="outline" size="sm" aria-label={t('deleteFor', { name: model.name })}>
              {t('delete')}
            </Button>
          }
          title={t('deleteTitle', { name: model.name })}
          description={t('deleteDescription')}
          confirmLabel={t('delete')}
          onConfirm={onDelete}
        />
      </div>
    </li>
  );
}
