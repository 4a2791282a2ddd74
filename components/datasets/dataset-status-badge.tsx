'use client';

import { useTranslations } from 'next-intl';
import { StatusBadge } from '@/components/common/status-badge';

/** The kit's status whose colour each dataset state takes. */
const TONE_OF: Record<string, string> = {
  UPLOADED: 'uploaded',
  VALIDATING: 'validating',
  VALID: 'ready',
  INVALID: 'failed',
  FAILED: 'failed',
};

export function DatasetStatusBadge({ status }: { status: string }) {
  const t = useTranslations('datasets.status');
  return <StatusBadge status={TONE_OF[status] ?? status} label={t.has(status) ? t(status) : status} />;
}

export const IN_PROGRESS = new Set(['UPLOADED', 'VALIDATING']);
