'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { FileUp, Pause, Play, X } from 'lucide-react';
import { toast } from 'sonner';
import * as tus from 'tus-js-client';
import { Button } from '@/components/ui/button';
import { ProgressWithEta } from '@/components/common/progress-with-eta';
import { useDatasetFormat } from '@/components/datasets/use-dataset-format';
import { useTRPC } from '@/lib/trpc/client';
import { cn } from '@/lib/utils';

const ENDPOINT = '/api/uploads';
const CHUNK_BYTES = 16 * 1024 * 1024;
/** Waits between retries after a dropped connection; each retry first asks the server how much it has. */
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10_000, 20_000, 30_000];

type Transfer = {
  key: string;
  name: string;
  size: number;
  sent: number;
  state: 'uploading' | 'paused' | 'failed';
  error?: string;
  startedAt: number;
  startedFrom: number;
  upload: tus.Upload;
};

type Unfinished = { urlStorageKey: string; name: string; size: number | null; creationTime: string };

/** A readable reason from a tus error: the server's message when it sent one. */
function reasonOf(error: Error): string {
  const response = (error as tus.DetailedError).originalResponse;
  const body = response?.getBody()?.trim();
  if (body) return body;
  return error.message.split('\n')[0] ?? error.message;
}

export function DatasetUploadDropzone() {
  const t = useTranslations('datasets.upload');
  const fmt = useDatasetFormat();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const target = useQuery(trpc.dataset.uploadTarget.queryOptions());
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const [transfers, setTransfers] = useState<Transfer[]>([]);
  const [unfinished, setUnfinished] = useState<Unfinished[]>([]);
  const [now, setNow] = useState(() => Date.now());

  const refreshUnfinished = useCallback(async () => {
    if (!tus.defaultOptions.urlStorage) return;
    const stored = await tus.defaultOptions.urlStorage.findAllUploads().catch(() => []);
    setUnfinished(
      stored
        .filter((u) => u.urlStorageKey.includes(ENDPOINT))
        .map((u) => ({ urlStorageKey: u.urlStorageKey, name: u.metadata?.filename ?? '?', size: u.size, creationTime: u.creationTime })),
    );
  }, []);

  useEffect(() => {
    void refreshUnfinished();
  }, [refreshUnfinished]);

  const uploading = transfers.some((x) => x.state === 'uploading');
  useEffect(() => {
    if (!uploading) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [uploading]);

  const update = (key: string, patch: Partial<Transfer>) => setTransfers((list) => list.map((x) => (x.key === key ? { ...x, ...patch } : x)));
  const drop = (key: string) => setTransfers((list) => list.filter((x) => x.key !== key));

  const start = async (file: File) => {
    const limit = target.data?.maxUploadBytes;
    if (limit !== undefined && file.size > limit) {
      toast.error(t('tooLarge', { name: file.name, size: fmt.bytes(file.size), limit: fmt.bytes(limit) }));
      return;
    }
    const key = `${file.name}-${file.size}-${file.lastModified}-${Math.random()}`;
    const upload = new tus.Upload(file, {
      endpoint: ENDPOINT,
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_DELAYS,
      metadata: { filename: file.name, filetype: file.type || 'application/jsonl' },
      removeFingerprintOnSuccess: true,
      onProgress: (sent) =>
        // A resumed upload's first report is the server's offset: measure speed from there.
        setTransfers((list) => list.map((x) => (x.key !== key ? x : { ...x, sent, ...(x.startedFrom < 0 ? { startedFrom: sent, startedAt: Date.now() } : {}) }))),
      onError: (error) => {
        const message = reasonOf(error);
        update(key, { state: 'failed', error: message });
        toast.error(t('failed', { name: file.name, message }));
        void refreshUnfinished();
      },
      onSuccess: () => {
        drop(key);
        toast.success(t('done', { name: file.name }));
        void queryClient.invalidateQueries({ queryKey: trpc.dataset.list.queryKey() });
        void refreshUnfinished();
      },
    });
    // The same file chosen again after a reload or a failure continues where the server stopped.
    const previous = await upload.findPreviousUploads().catch(() => []);
    let startedFrom = 0;
    if (previous[0]) {
      upload.resumeFromPreviousUpload(previous[0]);
      startedFrom = -1;
    }
    setTransfers((list) => [...list, { key, name: file.name, size: file.size, sent: 0, state: 'uploading', startedAt: Date.now(), startedFrom, upload }]);
    upload.start();
  };

  const addFiles = (files: FileList | null) => {
    for (const file of Array.from(files ?? [])) void start(file);
    if (input.current) input.current.value = '';
  };

  const pause = (x: Transfer) => {
    void x.upload.abort();
    update(x.key, { state: 'paused' });
  };
  const resume = (x: Transfer) => {
    update(x.key, { state: 'uploading', error: undefined, startedAt: Date.now(), startedFrom: x.sent });
    x.upload.start();
  };
  const cancel = (x: Transfer) => {
    void x.upload.abort(true).catch(() => undefined);
    drop(x.key);
    void refreshUnfinished();
  };
  const forget = async (u: Unfinished) => {
    await tus.defaultOptions.urlStorage?.removeUpload(u.urlStorageKey);
    void refreshUnfinished();
  };

  return (
    <section aria-label={t('region')} className="grid gap-3">
      <div
        data-testid="dataset-dropzone"
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(event) => {
          event.preventDefault();
          setDragging(false);
          addFiles(event.dataTransfer.files);
        }}
        className={cn(
          'flex flex-col items-center justify-center gap-3 rounded-lg border border-dashed px-6 py-8 text-center transition-colors',
          dragging ? 'border-primary bg-primary/5' : 'border-border',
        )}
      >
        <div className="bg-muted text-muted-foreground flex size-10 items-center justify-center rounded-full">
          <FileUp className="size-5" aria-hidden />
        </div>
        <div className="flex flex-wrap items-center justify-center gap-2 text-sm">
          <span className="font-medium">{t('drop')}</span>
          <span className="text-muted-foreground">{t('or')}</span>
          <Button type="button" variant="outline" size="sm" onClick={() => input.current?.click()}>
            {t('choose')}
          </Button>
        </div>
        <p className="text-muted-foreground max-w-lg text-xs">{t('hint', { limit: target.data ? fmt.bytes(target.data.maxUploadBytes) : '…' })}</p>
        <input ref={input} type="file" multiple accept=".jsonl,.json,.txt,application/jsonl,application/x-ndjson" aria-label={t('input')} className="sr-only" tabIndex={-1} onChange={(event) => addFiles(event.target.files)} />
      </div>

      {transfers.length > 0 && (
        <ul className="grid gap-3" aria-live="polite">
          {transfers.map((x) => {
            const rate = (x.sent - Math.max(0, x.startedFrom)) / Math.max(1, (now - x.startedAt) / 1000);
            const eta = x.state === 'uploading' && rate > 0 && x.sent > 0 ? (x.size - x.sent) / rate : null;
            return (
              <li key={x.key} data-testid="upload-transfer" className="grid gap-2 rounded-md border p-3">
                <div className="flex items-center justify-between gap-2">
                  <span className="truncate text-sm font-medium">{x.name}</span>
                  <div className="flex shrink-0 gap-1">
                    {x.state === 'uploading' && (
                      <Button type="button" variant="ghost" size="sm" onClick={() => pause(x)}>
                        <Pause aria-hidden /> {t('pause')}
                      </Button>
                    )}
                    {x.state !== 'uploading' && (
                      <Button type="button" variant="ghost" size="sm" onClick={() => resume(x)}>
                        <Play aria-hidden /> {t('resume')}
                      </Button>
                    )}
                    <Button type="button" variant="ghost" size="sm" onClick={() => cancel(x)}>
                      <X aria-hidden /> {t('cancel')}
                    </Button>
                  </div>
                </div>
                <ProgressWithEta value={x.size === 0 ? 100 : (x.sent / x.size) * 100} etaSeconds={x.state === 'uploading' ? eta : undefined} label={t('progress', { name: x.name })} />
                {x.state === 'paused' && <p className="text-muted-foreground text-xs">{t('paused')}</p>}
                {x.error && (
                  <p role="alert" className="text-destructive text-xs">
                    {x.error}
                  </p>
                )}
              </li>
            );
          })}
        </ul>
      )}

      {unfinished.length > 0 && transfers.length === 0 && (
        <div className="rounded-md border p-3 text-sm" data-testid="unfinished-uploads">
          <p className="font-medium">{t('unfinished')}</p>
          <p className="text-muted-foreground mb-2 text-xs">{t('unfinishedHint')}</p>
          <ul className="grid gap-1">
            {unfinished.map((u) => (
              <li key={u.urlStorageKey} className="flex items-center justify-between gap-2">
                <span className="truncate">
                  {u.name}
                  {u.size !== null && <span className="text-muted-foreground"> · {fmt.bytes(u.size)}</span>}
                  <span className="text-muted-foreground"> · {t('started', { time: fmt.relative(new Date(u.creationTime)) })}</span>
                </span>
                <Button type="button" variant="ghost" size="sm" onClick={() => void forget(u)}>
                  {t('forget')}
                </Button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
