'use client';

import { useFormatter, useNow } from 'next-intl';

/** Sizes and counts as the dataset pages show them. */
export function useDatasetFormat() {
  const format = useFormatter();
  // relativeTime needs a `now`: without one next-intl logs ENVIRONMENT_FALLBACK.
  const now = useNow({ updateInterval: 60_000 });
  return {
    /** Binary units, matching the server's messages and the upload limit's usual settings. */
    bytes(bytes: number): string {
      const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'] as const;
      let value = bytes;
      let unit = 0;
      while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
      }
      return `${format.number(value, { maximumFractionDigits: unit > 0 && value < 10 ? 1 : 0 })} ${units[unit]}`;
    },
    count: (value: number) => format.number(value),
    compact: (value: number) => format.number(value, { notation: 'compact', maximumFractionDigits: 1 }),
    date: (value: Date) => format.dateTime(value, { dateStyle: 'medium', timeStyle: 'short' }),
    relative: (value: Date) => format.relativeTime(value, now),
  };
}
