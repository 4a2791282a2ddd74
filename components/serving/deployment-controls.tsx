'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/common/confirm-dialog';
import { StatusBadge } from '@/components/common/status-badge';
import { useTRPC } from '@/lib/trpc/client';

const BADGE_STATUS = { NOT_DEPLOYED: 'inactive', REQUESTED: 'requested', LOADING: 'deploying', READY: 'ready', FAILED: 'failed', STOPPED: 'stopped' } as const;
const ACTIVE = new Set(['REQUESTED', 'LOADING', 'READY']);

/** A base model's deployment state with deploy and undeploy buttons, for the Models page's rows. */
export function DeploymentControls({ baseModelId, name, canUndeploy }: { baseModelId: string; name: string; canUndeploy: boolean }) {
  const t = useTranslations('serving.deployment');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // One query for every row (TanStack shares it), polled while any deployment is on its way.
  const deployments = useQuery(
    trpc.serving.deployments.queryOptions(undefined, {
      refetchInterval: (query) => (query.state.data?.some((d) => d.status === 'REQUESTED' || d.status === 'LOADING') ? 1000 : 10_000),
    }),
  );
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.serving.deployments.queryKey() });
  const deploy = useMutation(
    trpc.serving.deploy.mutationOptions({
      onSuccess: () => (toast.success(t('deployed', { name })), refresh()),
      onError: (error) => toast.error(error.message),
    }),
  );
  const undeploy = useMutation(
    trpc.serving.undeploy.mutationOptions({
      onSuccess: () => (toast.success(t('undeployed', { name })), refresh()),
      onError: (error) => toast.error(error.message),
    }),
  );
  const row = deployments.data?.find((d) => d.baseModelId === baseModelId);
  if (!row) return null;
  const active = ACTIVE.has(row.status);
  return (
    <div className="mt-2 flex flex-col gap-1.5" data-testid="deployment" data-model={name} data-deployment-status={row.status}>
      <div className="flex flex-wrap items-center gap-2">
        <StatusBadge status={BADGE_STATUS[row.status]} label={t(`status.${row.status}`)} />
        {active ? (
          canUndeploy && (
            <ConfirmDialog
              trigger={
                <Button variant="outline" size="sm" aria-label={t('undeployFor', { name })} disabled={undeploy.isPending}>
                  {t('undeploy')}
                </Button>
              }
              title={t('undeployTitle', { name })}
              description={t('undeployDescription')}
              confirmLabel={t('undeploy')}
              onConfirm={() => undeploy.mutateAsync({ baseModelId })}
            />
          )
        ) : (
          <Button variant="outline" size="sm" aria-label={t('deployFor', { name })} disabled={deploy.isPending} onClick={() => deploy.mutate({ baseModelId })}>
            {t('deploy')}
          </Button>
        )}
      </div>
      {row.status === 'FAILED' && row.error && (
        <p className="text-destructive text-xs break-words" role="note" aria-label={t('failed')}>
          {t('failedBecause', { reason: row.error })}
        </p>
      )}
    </div>
  );
}
