'use client';

import { useFormatter } from 'next-intl';

/** Sizes and counts as the dataset pages show them. */
export function useDatasetFormat() {
  const format = useFormatter();
  return {
    bytes(bytes: number): string {
      const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;
      let value = bytes;
      let unit = 0;
      while (value >= 1000 && unit < units.length - 1) {
        value /= 1000;
        unit++;
      }
      return format.number(value, { style: 'unit', unit: units[unit], unitDisplay: unit === 0 ? 'long' : 'short', maximumFractionDigits: value < 10 && unit > 0 ? 1 : 0 });
    },
    count: (value: number) => format.number(value),
    compact: (value: number) => format.number(value, { notation: 'compact', maximumFractionDigits: 1 }),
    date: (value: Date) => format.dateTime(value, { dateStyle: 'medium', timeStyle: 'short' }),
    relative: (value: Date) => format.relativeTime(value),
  };
}
