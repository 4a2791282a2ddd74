'use client';

import { useFormatter } from 'next-intl';

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** Sizes and parameter counts as people read them: "7.1 MB", "135M". */
export function useModelFormat() {
  const format = useFormatter();
  return {
    bytes(n: number | null | undefined): string {
      if (n === null || n === undefined) return '—';
      let value = n;
      let unit = 0;
      while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
        value /= 1000;
        unit++;
      }
      return format.number(value, { style: 'unit', unit: BYTE_UNITS[unit], unitDisplay: 'short', maximumFractionDigits: unit === 0 ? 0 : 1 });
    },
    count(n: number | null | undefined): string {
      return n === null || n === undefined ? '—' : format.number(n, { notation: 'compact', maximumFractionDigits: 1 });
    },
  };
}

/** Seconds left, extrapolated from the time spent in the current stage; null while too early to tell. */
export function estimateSecondsLeft(progress: number | null, startedAt: string | undefined, now: number): number | null {
  if (!progress || progress < 0.02 || !startedAt) return null;
  const elapsed = (now - Date.parse(startedAt)) / 1000;
  if (!Number.isFinite(elapsed) || elapsed <= 0) return null;
  return (elapsed * (1 - progress)) / progress;
}
