import * as React from 'react';

import { renderIcon, type IconProp } from '@/components/common/icon';
import { cn } from '@/lib/utils';

interface EmptyStateProps {
  icon?: IconProp;
  title: React.ReactNode;
  description?: React.ReactNode;
  /** Usually one Button (or a Button asChild around a Link) that creates the first item. */
  action?: React.ReactNode;
  className?: string;
}

function EmptyState({ icon, title, description, action, className }: EmptyStateProps) {
  return (
    <div
      data-slot="empty-state"
      className={cn(
        'flex flex-col items-center justify-center gap-4 rounded-lg border border-dashed px-6 py-12 text-center',
        className,
      )}
    >
      {icon !== undefined && (
        <div className="bg-muted text-muted-foreground flex size-12 items-center justify-center rounded-full [&_svg]:size-6">
          {renderIcon(icon)}
        </div>
      )}
      <div className="flex max-w-md flex-col gap-1.5">
        <h2 className="text-base font-semibold">{title}</h2>
        {description && <p className="text-muted-foreground text-sm text-balance">{description}</p>}
      </div>
      {action && <div className="flex flex-wrap items-center justify-center gap-2">{action}</div>}
    </div>
  );
}

export { EmptyState };
export type { EmptyStateProps };
