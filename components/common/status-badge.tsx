import * as React from 'react';
import { useTranslations } from 'next-intl';

import {
  humanizeStatus,
  isKnownStatus,
  normalizeStatus,
  STATUS_TONES,
  type StatusTone,
} from '@/components/common/status';
import { Badge } from '@/components/ui/badge';
import { cn } from '@/lib/utils';

const toneClasses: Record<StatusTone, { badge: string; dot: string }> = {
  neutral: { badge: 'bg-muted text-foreground/80', dot: 'bg-muted-foreground' },
  progress: {
    badge: 'bg-info/10 text-info border-info/25',
    dot: 'bg-info motion-safe:animate-pulse',
  },
  success: { badge: 'bg-success/10 text-success border-success/25', dot: 'bg-success' },
  warning: { badge: 'bg-warning/10 text-warning border-warning/30', dot: 'bg-warning' },
  danger: {
    badge: 'bg-destructive/10 text-destructive border-destructive/25',
    dot: 'bg-destructive',
  },
  muted: { badge: 'bg-transparent text-muted-foreground', dot: 'bg-muted-foreground/60' },
};

interface StatusBadgeProps {
  /** A resource state such as "queued", "running" or "validating_files"; unknown ones show as neutral. */
  status: string;
  /** Overrides the translated label. */
  label?: React.ReactNode;
  className?: string;
}

function StatusBadge({ status, label, className }: StatusBadgeProps) {
  const t = useTranslations('ui');
  const key = normalizeStatus(status);
  const known = isKnownStatus(key);
  const tone: StatusTone = known ? STATUS_TONES[key] : 'neutral';
  const classes = toneClasses[tone];

  return (
    <Badge
      variant="outline"
      data-status={key}
      data-tone={tone}
      className={cn('gap-1.5 font-medium', classes.badge, className)}
    >
      <span aria-hidden="true" className={cn('size-1.5 shrink-0 rounded-full', classes.dot)} />
      {label ?? (known ? t(`status.${key}`) : humanizeStatus(status))}
    </Badge>
  );
}

export { StatusBadge };
export type { StatusBadgeProps };
