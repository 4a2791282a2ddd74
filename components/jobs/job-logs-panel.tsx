'use client';

import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslations } from 'next-intl';
import { Download } from 'lucide-react';
import { Button } from '@/components/ui/button';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { Switch } from '@/components/ui/switch';
import type { LiveJobEvent } from '@/lib/realtime/use-job-live';

/** Lines kept on the page; the download has them all. */
const MAX_SHOWN = 5_000;

/**
 * The trainer's log lines as they are written (events of type `log`), with follow (keep the newest
 * line in view), a search that keeps only the lines containing the text, and a download of the
 * whole log (the copy stored with the job once it has ended).
 */
export function JobLogsPanel({ events, jobId, final }: { events: readonly LiveJobEvent[]; jobId: string; final: boolean }) {
  const t = useTranslations('jobs.logs');
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState('');
  const box = useRef<HTMLPreElement>(null);
  const lines = useMemo(() => events.filter((e) => e.type === 'log'), [events]);
  const needle = query.trim().toLowerCase();
  const matching = useMemo(() => (needle ? lines.filter((e) => e.message.toLowerCase().includes(needle)) : lines), [lines, needle]);
  const shown = matching.slice(-MAX_SHOWN);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [follow, shown.length]);

  return (
    <div className="grid gap-3" data-testid="job-logs">
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-0 flex-1 basis-48">
          <FormField label={t('search')}>
            <Input type="search" value={query} onChange={(e) => setQuery(e.target.value)} data-testid="job-logs-search" />
          </FormField>
        </div>
        <FormField label={t('follow')} orientation="horizontal">
          <Switch checked={follow} onCheckedChange={setFollow} data-testid="job-logs-follow" />
        </FormField>
        <Button asChild variant="outline">
          <a href={`/api/jobs/${encodeURIComponent(jobId)}/log`} download data-testid="job-logs-download">
            <Download aria-hidden />
            {t('download')}
          </a>
        </Button>
      </div>
      {lines.length === 0 ? (
        <p className="text-muted-foreground text-sm">{final ? t('emptyFinished') : t('empty')}</p>
      ) : matching.length === 0 ? (
        <p className="text-muted-foreground text-sm">{t('noMatch', { query: query.trim() })}</p>
      ) : (
        <>
          <pre
            ref={box}
            tabIndex={0}
            aria-label={t('region')}
            className="bg-muted max-h-96 overflow-auto rounded-md p-3 font-mono text-xs leading-5 whitespace-pre-wrap break-all"
            data-testid="job-logs-lines"
            onScroll={(e) => {
              const el = e.currentTarget;
              const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 8;
              if (!atBottom && follow) setFollow(false);
            }}
          >
            {shown.map((e) => `${e.message}\n`).join('')}
          </pre>
          <p className="text-muted-foreground text-xs tabular-nums">{t('count', { shown: matching.length, total: lines.length })}</p>
        </>
      )}
    </div>
  );
}
