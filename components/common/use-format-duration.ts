import { useTranslations } from 'next-intl';

import { splitDuration } from '@/components/common/duration';

/** Returns a formatter that renders seconds as a short translated duration ("3m 10s"). */
export function useFormatDuration(): (seconds: number) => string {
  const t = useTranslations('ui');
  return (seconds) => {
    const parts = splitDuration(seconds);
    switch (parts.unit) {
      case 'days':
        return t('duration.days', parts.values);
      case 'hours':
        return t('duration.hours', parts.values);
      case 'minutes':
        return t('duration.minutes', parts.values);
      case 'seconds':
        return t('duration.seconds', parts.values);
    }
  };
}
