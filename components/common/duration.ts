export type DurationParts =
  | { unit: 'seconds'; values: { seconds: number } }
  | { unit: 'minutes'; values: { minutes: number; seconds: number } }
  | { unit: 'hours'; values: { hours: number; minutes: number } }
  | { unit: 'days'; values: { days: number; hours: number } };

/**
 * Splits a duration into its two most significant units ("3m 10s", "1h 5m", "2d 3h"). Seconds
 * round up, so an estimate never reads "0s" while work remains.
 */
export function splitDuration(totalSeconds: number): DurationParts {
  if (!Number.isFinite(totalSeconds) || totalSeconds <= 0) {
    return { unit: 'seconds', values: { seconds: 0 } };
  }
  const whole = Math.ceil(totalSeconds);
  const days = Math.floor(whole / 86_400);
  const hours = Math.floor((whole % 86_400) / 3_600);
  const minutes = Math.floor((whole % 3_600) / 60);
  const seconds = whole % 60;

  if (days > 0) return { unit: 'days', values: { days, hours } };
  if (hours > 0) return { unit: 'hours', values: { hours, minutes } };
  if (minutes > 0) return { unit: 'minutes', values: { minutes, seconds } };
  return { unit: 'seconds', values: { seconds } };
}

/** Percent for display: clamped to 0..100 and floored, so 99.7% is not shown as done. */
export function displayPercent(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return Math.floor(Math.min(100, Math.max(0, value)));
}
