'use client';

import * as React from 'react';
import { useTranslations } from 'next-intl';

import { displayPercent } from '@/components/common/duration';
import { useFormatDuration } from '@/components/common/use-format-duration';
import { Progress } from '@/components/ui/progress';
import { cn } from '@/lib/utils';

interface ProgressWithEtaProps {
  /** 0 to 100; values outside are clamped. */
  value: number;
  /**
   * Seconds left. A number shows "42% · 3m 10s left"; null shows that the estimate is still being
   * worked out; undefined shows the percentage alone.
   */
  etaSeconds?: number | null;
  /** Accessible name of the bar, e.g. "Training progress". */
  label?: string;
  className?: string;
}

function ProgressWithEta({ value, etaSeconds, label, className }: ProgressWithEtaProps) {
  const t = useTranslations('ui');
  const formatDuration = useFormatDuration();
  const percent = displayPercent(value);

  let text: string;
  if (percent >= 100 || etaSeconds === undefined) {
    text = t('progress.percent', { percent });
  } else if (etaSeconds === null || !Number.isFinite(etaSeconds)) {
    text = t('progress.estimating', { percent });
  } else {
    text = t('progress.withEta', { percent, eta: formatDuration(etaSeconds) });
  }

  return (
    <div data-slot="progress-with-eta" className={cn('flex flex-col gap-1.5', className)}>
      <Progress
        value={Number.isFinite(value) ? Math.min(100, Math.max(0, value)) : 0}
        aria-label={label ?? t('progress.label')}
        getValueLabel={() => text}
      />
      <p className="text-muted-foreground text-xs tabular-nums" aria-hidden="true">
        {text}
      </p>
    </div>
  );
}

export { ProgressWithEta };
export type { ProgressWithEtaProps };
