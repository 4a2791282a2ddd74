import * as React from 'react';

import { cn } from '@/lib/utils';

interface StatProps {
  label: React.ReactNode;
  value: React.ReactNode;
  /** A secondary line under the value: a unit, a comparison, a timestamp. */
  hint?: React.ReactNode;
  className?: string;
}

function Stat({ label, value, hint, className }: StatProps) {
  return (
    <dl data-slot="stat" className={cn('flex min-w-0 flex-col gap-1', className)}>
      <dt className="text-muted-foreground truncate text-sm">{label}</dt>
      <dd className="truncate text-2xl font-semibold tracking-tight tabular-nums">{value}</dd>
      {hint && <dd className="text-muted-foreground truncate text-xs">{hint}</dd>}
    </dl>
  );
}

export { Stat };
export type { StatProps };
