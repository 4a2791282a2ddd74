'use client';

import { useQuery } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { TriangleAlert } from 'lucide-react';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { CopyButton } from '@/components/common/copy-button';
import { useTRPC } from '@/lib/trpc/client';

/** Runners record their trainer when they start; a fixed one shows up within this long. */
const REFRESH_MS = 30_000;

/** Says that no runner online can train, why, and the command that fixes it; nothing when training works. */
export function TrainerStatusAlert() {
  const t = useTranslations('jobs');
  const trpc = useTRPC();
  const status = useQuery({ ...trpc.job.trainingStatus.queryOptions(), refetchInterval: REFRESH_MS });
  const data = status.data;
  if (!data || data.available) return null;
  return (
    <Alert variant="destructive" data-testid="trainer-unavailable">
      <TriangleAlert aria-hidden />
      <AlertTitle>{t('trainerUnavailable.title')}</AlertTitle>
      <AlertDescription>
        <p>{t('trainerUnavailable.reason', { reason: data.reason, runner: data.runner })}</p>
        {data.fix && (
          <div className="flex items-center gap-1">
            <span>{t('trainerUnavailable.fix')}</span>
            <code className="bg-muted text-foreground rounded px-1.5 py-0.5 font-mono text-xs break-all" data-testid="trainer-fix">
              {data.fix}
            </code>
            <CopyButton value={data.fix} label={t('trainerUnavailable.copyFix')} />
          </div>
        )}
      </AlertDescription>
    </Alert>
  );
}
