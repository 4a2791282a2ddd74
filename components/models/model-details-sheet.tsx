'use client';

import type * as React from 'react';
import { useFormatter, useTranslations } from 'next-intl';
import { Sheet, SheetContent, SheetDescription, SheetHeader, SheetTitle } from '@/components/ui/sheet';
import { StatusBadge } from '@/components/common/status-badge';
import type { ModelRow } from '@/components/models/model-row';
import { useModelFormat } from '@/components/models/use-model-format';

export function ModelDetailsSheet({ model, onOpenChange }: { model: ModelRow | null; onOpenChange: (open: boolean) => void }) {
  const t = useTranslations('models.details');
  const tm = useTranslations('models');
  const format = useFormatter();
  const fmt = useModelFormat();
  return (
    <Sheet open={model !== null} onOpenChange={onOpenChange}>
      <SheetContent className="overflow-y-auto sm:max-w-md">
        {model && (
          <>
            <SheetHeader>
              <SheetTitle className="font-mono">{t('title', { name: model.name })}</SheetTitle>
              <SheetDescription>{t('description', { created: format.dateTime(model.createdAt, { dateStyle: 'medium', timeStyle: 'short' }) })}</SheetDescription>
              <div>
                <StatusBadge status={model.status} />
              </div>
              {model.status === 'FAILED' && model.error && <p className="text-destructive text-sm break-words">{model.error}</p>}
            </SheetHeader>
            <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-3 px-4 pb-6 text-sm" data-testid="model-details">
              <Row label={t('architecture')}>{model.architecture ?? '—'}</Row>
              <Row label={t('family')}>{model.family ?? '—'}</Row>
              <Row label={t('parameters')}>{model.parameters === null ? '—' : `${fmt.count(model.parameters)} (${format.number(model.parameters)})`}</Row>
              <Row label={t('context')}>{model.contextLength === null ? '—' : t('contextValue', { tokens: format.number(model.contextLength) })}</Row>
              <Row label={t('chat')}>{model.status === 'READY' ? (model.chatCapable ? t('chatYes') : t('chatNo')) : '—'}</Row>
              <Row label={t('license')}>{model.license ?? t('licenseUnknown')}</Row>
              <Row label={t('size')}>{fmt.bytes(model.sizeBytes)}</Row>
              <Row label={t('scope')}>{tm(`scope.${model.scope}`)}</Row>
              <Row label={t('source')}>
                {t(`sources.${model.source}`)}
                {model.sourceRef ? (
                  <span className="text-muted-foreground block font-mono text-xs break-all">{model.sourceRef}</span>
                ) : (
                  <span className="text-muted-foreground block text-xs">{t('hiddenPath')}</span>
                )}
              </Row>
              {model.commit && (
                <Row label={t('commit')}>
                  <span className="font-mono text-xs break-all">{model.commit}</span>
                </Row>
              )}
              <Row label={t('gguf')}>{model.ggufType ?? '—'}</Row>
              <Row label={t('trainable')}>{model.status === 'READY' ? (model.trainable ? t('trainableYes') : model.trainingBlocker ? t('trainableNoBecause', { reason: model.trainingBlocker }) : t('trainableNo')) : '—'}</Row>
            </dl>
          </>
        )}
      </SheetContent>
    </Sheet>
  );
}

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <>
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="min-w-0">{children}</dd>
    </>
  );
}
