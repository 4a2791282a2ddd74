'use client';

import { useQuery } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { Download } from 'lucide-react';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { useModelFormat } from '@/components/models/use-model-format';
import { useTRPC } from '@/lib/trpc/client';
import { HubPushButton } from '@/components/serving/hub-push-dialog';

const LABELS = { 'adapter.zip': 'adapterZip', 'adapter.gguf': 'adapterGguf', 'merged.gguf': 'mergedGguf', 'merged-hf.zip': 'mergedHf' } as const;

/** Download links of a fine-tuned model (by id or `ft:...` name): PEFT adapter, adapter GGUF, merged GGUF. */
export function ModelDownloadsCard({ fineTunedModel }: { fineTunedModel: string }) {
  const t = useTranslations('serving.downloads');
  const trpc = useTRPC();
  const fmt = useModelFormat();
  const downloads = useQuery(trpc.serving.downloads.queryOptions({ fineTunedModel }));
  if (!downloads.data?.links.length) return null;
  return (
    <Card data-testid="model-downloads">
      <CardHeader>
        <CardTitle>{t('title')}</CardTitle>
        <CardDescription>{t('description', { base: downloads.data.baseModel, license: downloads.data.license ?? t('unknownLicense') })}</CardDescription>
      </CardHeader>
      <CardContent className="flex flex-wrap gap-2">
        {downloads.data.links.map((link) => (
          <Button key={link.artifact} variant="outline" size="sm" asChild>
            <a href={link.href} download title={link.artifact.startsWith('merged') && !link.ready ? t('mergedHint') : undefined}>
              <Download aria-hidden />
              {t(LABELS[link.artifact])}
              {link.size !== null && <span className="text-muted-foreground tabular-nums">{fmt.bytes(link.size)}</span>}
            </a>
          </Button>
        ))}
        <HubPushButton fineTunedModel={fineTunedModel} canMerge={downloads.data.links.some((link) => link.artifact === 'merged-hf.zip')} />
      </CardContent>
    </Card>
  );
}
