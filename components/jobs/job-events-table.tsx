'use client';

import { useMemo, useState } from 'react';
import { useFormatter, useTranslations } from 'next-intl';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { FormField } from '@/components/ui/form-field';
import { Switch } from '@/components/ui/switch';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import type { LiveJobEvent } from '@/lib/realtime/use-job-live';
import { cn } from '@/lib/utils';

const PAGE = 100;

const LEVEL_CLASSES: Record<string, string> = {
  info: 'bg-muted text-foreground/80',
  warn: 'bg-warning/10 text-warning border-warning/30',
  error: 'bg-destructive/10 text-destructive border-destructive/25',
};

/** The job's event log, newest first, a page at a time; metrics lines can be hidden. */
export function JobEventsTable({ events }: { events: readonly LiveJobEvent[] }) {
  const t = useTranslations('jobs.events');
  const format = useFormatter();
  const [shown, setShown] = useState(PAGE);
  const [metrics, setMetrics] = useState(true);
  const newestFirst = useMemo(() => events.filter((e) => e.type !== 'log' && (metrics || e.type !== 'metrics')).reverse(), [events, metrics]);
  const page = newestFirst.slice(0, shown);

  return (
    <div className="grid gap-3">
      <FormField label={t('showMetrics')} orientation="horizontal">
        <Switch checked={metrics} onCheckedChange={setMetrics} />
      </FormField>
      {newestFirst.length === 0 ? (
        <p className="text-muted-foreground text-sm">{t('empty')}</p>
      ) : (
        <Table data-testid="job-events" aria-label={t('title')}>
          <TableHeader>
            <TableRow>
              <TableHead className="w-44">{t('time')}</TableHead>
              <TableHead className="w-20">{t('level')}</TableHead>
              <TableHead>{t('message')}</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {page.map((e) => (
              <TableRow key={e.seq} data-testid="job-event" data-seq={e.seq} data-level={e.level} data-type={e.type}>
                <TableCell className="text-muted-foreground align-top text-xs whitespace-nowrap tabular-nums">
                  <time dateTime={new Date(e.created_at * 1000).toISOString()}>{format.dateTime(new Date(e.created_at * 1000), { dateStyle: 'short', timeStyle: 'medium' })}</time>
                </TableCell>
                <TableCell className="align-top">
                  <Badge variant="outline" className={cn('font-normal', LEVEL_CLASSES[e.level] ?? LEVEL_CLASSES.info)}>
                    {t(`levels.${e.level in LEVEL_CLASSES ? e.level : 'info'}`)}
                  </Badge>
                </TableCell>
                <TableCell className={cn('align-top text-sm whitespace-pre-wrap break-words', e.level === 'error' && 'text-destructive', e.type === 'metrics' && 'font-mono text-xs')}>
                  {e.message}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {newestFirst.length > shown && (
        <div className="flex items-center justify-between gap-2">
          <p className="text-muted-foreground text-xs">{t('showing', { shown: page.length, total: newestFirst.length })}</p>
          <Button variant="outline" size="sm" onClick={() => setShown((s) => s + PAGE * 5)}>
            {t('older')}
          </Button>
        </div>
      )}
    </div>
  );
}
