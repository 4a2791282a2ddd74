'use client';

import type { inferRouterOutputs } from '@trpc/server';
import { useFormatter, useTranslations } from 'next-intl';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { CopyButton } from '@/components/common/copy-button';
import type { AppRouter } from '@/server/api/root';

export type JobCheckpoint = inferRouterOutputs<AppRouter>['job']['checkpoints'][number];

/** Checkpoints newest step first, with their metrics and the model name that serves each. */
export function JobCheckpointsTable({ checkpoints }: { checkpoints: readonly JobCheckpoint[] }) {
  const t = useTranslations('jobs.checkpoints');
  const format = useFormatter();
  const metric = (v: number | null, percent = false) =>
    v === null ? '—' : percent ? format.number(v, { style: 'percent', maximumFractionDigits: 1 }) : format.number(v, { maximumFractionDigits: 4 });

  if (checkpoints.length === 0) return <p className="text-muted-foreground text-sm">{t('empty')}</p>;
  return (
    <Table data-testid="job-checkpoints">
      <TableHeader>
        <TableRow>
          <TableHead className="text-right">{t('step')}</TableHead>
          <TableHead className="text-right">{t('trainLoss')}</TableHead>
          <TableHead className="text-right">{t('validLoss')}</TableHead>
          <TableHead className="text-right">{t('fullValidLoss')}</TableHead>
          <TableHead className="text-right">{t('accuracy')}</TableHead>
          <TableHead>{t('model')}</TableHead>
          <TableHead>{t('created')}</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {checkpoints.map((c) => (
          <TableRow key={c.id} data-testid="job-checkpoint" data-step={c.step_number}>
            <TableCell className="text-right tabular-nums">{c.step_number}</TableCell>
            <TableCell className="text-right tabular-nums">{metric(c.metrics.train_loss)}</TableCell>
            <TableCell className="text-right tabular-nums">{metric(c.metrics.valid_loss)}</TableCell>
            <TableCell className="text-right tabular-nums">{metric(c.metrics.full_valid_loss)}</TableCell>
            <TableCell className="text-right tabular-nums">{metric(c.metrics.valid_mean_token_accuracy ?? c.metrics.train_mean_token_accuracy, true)}</TableCell>
            <TableCell>
              <div className="flex items-center gap-1">
                <span className="font-mono text-xs break-all">{c.fine_tuned_model_checkpoint}</span>
                <CopyButton value={c.fine_tuned_model_checkpoint} label={t('copy', { step: c.step_number })} />
              </div>
            </TableCell>
            <TableCell className="text-muted-foreground text-sm whitespace-nowrap">{format.dateTime(new Date(c.created_at * 1000), { dateStyle: 'medium', timeStyle: 'short' })}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
