'use client';

import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useFormatter, useTranslations } from 'next-intl';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Label } from '@/components/ui/label';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { Skeleton } from '@/components/ui/skeleton';
import { Stat } from '@/components/common/stat';
import { useDatasetFormat } from '@/components/datasets/use-dataset-format';
import { useTRPC } from '@/lib/trpc/client';

/** The first examples through a chosen base model's chat template, trained text highlighted, and the cost estimate. */
export function DatasetPreview({ datasetId }: { datasetId: string }) {
  const t = useTranslations('datasets.preview');
  const format = useFormatter();
  const fmt = useDatasetFormat();
  const trpc = useTRPC();
  const models = useQuery(trpc.model.list.queryOptions());
  const usable = (models.data ?? []).filter((m) => m.status === 'READY' && m.chatCapable && m.trainable);
  const [chosen, setChosen] = useState<string | null>(null);
  const model = chosen ?? usable[0]?.id ?? null;
  const preview = useQuery(trpc.dataset.preview.queryOptions({ id: datasetId, model: model ?? '' }, { enabled: model !== null, retry: false }));

  if (models.isLoading) return <Skeleton className="h-24 w-full" />;
  if (usable.length === 0) {
    return (
      <Alert>
        <AlertDescription>{t('noModels')}</AlertDescription>
      </Alert>
    );
  }

  return (
    <div className="grid min-w-0 grid-cols-1 gap-4" data-testid="dataset-preview">
      <div className="grid max-w-sm min-w-0 gap-2">
        <Label htmlFor="preview-model">{t('model')}</Label>
        <Select value={model ?? undefined} onValueChange={setChosen}>
          <SelectTrigger id="preview-model" className="w-full">
            <SelectValue placeholder={t('choose')} />
          </SelectTrigger>
          <SelectContent>
            {usable.map((m) => (
              <SelectItem key={m.id} value={m.id}>
                {m.name}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      </div>

      {preview.isLoading && <Skeleton className="h-40 w-full" />}
      {preview.error && (
        <Alert variant="destructive">
          <AlertDescription>{preview.error.message}</AlertDescription>
        </Alert>
      )}
      {preview.data && (
        <>
          {preview.data.cost && (
            <div className="rounded-md border p-4" data-testid="cost-estimate">
              <Stat
                label={t('cost')}
                value={t('costValue', { credits: format.number(preview.data.cost.credits, { maximumFractionDigits: 4 }) })}
                hint={t('costDetail', {
                  tokens: fmt.count(preview.data.cost.estimatedTrainedTokens),
                  epochs: preview.data.cost.epochs,
                  price: format.number(preview.data.cost.pricePerMillionTokens),
                })}
              />
            </div>
          )}
          <div className="text-muted-foreground flex flex-wrap items-center gap-x-4 gap-y-1 text-xs">
            <span className="flex items-center gap-1.5">
              <mark className="bg-primary/20 text-foreground rounded px-1">abc</mark> {t('trained')}
            </span>
            <span className="flex items-center gap-1.5">
              <span className="text-muted-foreground rounded border px-1">abc</span> {t('context')}
            </span>
          </div>
          {preview.data.examples.length === 0 && <p className="text-sm">{t('empty')}</p>}
          <ol className="grid grid-cols-1 gap-3">
            {preview.data.examples.map((example) => (
              <li key={example.line} className="grid min-w-0 gap-1" data-testid="preview-example">
                <div className="text-muted-foreground flex flex-wrap gap-x-3 text-xs">
                  <span className="font-medium">{t('line', { line: example.line })}</span>
                  {!example.rejected && <span>{t('tokens', { tokens: fmt.count(example.tokens), trained: fmt.count(example.trainedTokens) })}</span>}
                  {(example.truncated || example.rejected?.truncated) && <span className="text-warning">{t('truncated', { context: preview.data.model.contextLength ?? 0 })}</span>}
                </div>
                {example.rejected ? (
                  <div className="grid gap-2 md:grid-cols-2" data-testid="preview-pair">
                    <PreviewText label={t('chosen')} side={example} tokens={t('tokens', { tokens: fmt.count(example.tokens), trained: fmt.count(example.trainedTokens) })} testId="preview-chosen" />
                    <PreviewText
                      label={t('rejected')}
                      side={example.rejected}
                      tokens={t('tokens', { tokens: fmt.count(example.rejected.tokens), trained: fmt.count(example.rejected.trainedTokens) })}
                      testId="preview-rejected"
                    />
                  </div>
                ) : (
                  <PreviewText side={example} />
                )}
              </li>
            ))}
          </ol>
          {preview.data.skippedLines.length > 0 && <p className="text-muted-foreground text-xs">{t('skipped', { lines: preview.data.skippedLines.join(', ') })}</p>}
        </>
      )}
    </div>
  );
}

type Segments = { segments: { text: string; trained: boolean }[] };

/** One rendered conversation, trained text highlighted; labelled when it is one side of a preference pair. */
function PreviewText({ side, label, tokens, testId }: { side: Segments; label?: string; tokens?: string; testId?: string }) {
  return (
    <div className="grid min-w-0 gap-1" data-testid={testId}>
      {label && (
        <div className="flex flex-wrap gap-x-3 text-xs">
          <span className="font-medium">{label}</span>
          <span className="text-muted-foreground">{tokens}</span>
        </div>
      )}
      <pre className="bg-muted/40 max-h-80 overflow-auto rounded-md border p-3 font-mono text-xs whitespace-pre-wrap [overflow-wrap:anywhere]">
        {side.segments.map((segment, i) =>
          segment.trained ? (
            <mark key={i} data-trained="true" className="bg-primary/20 text-foreground rounded-sm">
              {segment.text}
            </mark>
          ) : (
            <span key={i} className="text-muted-foreground">
              {segment.text}
            </span>
          ),
        )}
      </pre>
    </div>
  );
}
