import * as React from 'react';
import Link from 'next/link';
import { useTranslations } from 'next-intl';

import { renderIcon, type IconProp } from '@/components/common/icon';
import { cn } from '@/lib/utils';

interface NavItem {
  href: string;
  label: string;
  /** Pass an element (`<DatabaseIcon />`) when the nav is rendered from a server component. */
  icon?: IconProp;
  active?: boolean;
  /** Shown at the end of the row, e.g. a count of running jobs. */
  badge?: React.ReactNode;
}

interface SidebarNavProps {
  items: readonly NavItem[];
  /** Accessible name of the navigation landmark; defaults to "Main". */
  label?: string;
  className?: string;
}

function SidebarNav({ items, label, className }: SidebarNavProps) {
  const t = useTranslations('ui');

  return (
    <nav data-slot="sidebar-nav" aria-label={label ?? t('nav.main')} className={className}>
      <ul className="flex flex-col gap-0.5">
        {items.map((item) => (
          <li key={item.href}>
            <Link
              href={item.href}
              aria-current={item.active ? 'page' : undefined}
              data-active={item.active || undefined}
              className={cn(
                'text-sidebar-foreground/80 hover:bg-sidebar-accent hover:text-sidebar-accent-foreground focus-visible:ring-sidebar-ring flex h-9 items-center gap-2.5 rounded-md px-2.5 text-sm font-medium transition-colors outline-none focus-visible:ring-2',
                'data-[active]:bg-sidebar-accent data-[active]:text-sidebar-accent-foreground',
                '[&_svg]:text-muted-foreground data-[active]:[&_svg]:text-sidebar-primary [&_svg]:size-4 [&_svg]:shrink-0',
              )}
            >
              {renderIcon(item.icon)}
              <span className="truncate">{item.label}</span>
              {item.badge !== undefined && item.badge !== null && (
                <span className="text-muted-foreground ml-auto text-xs tabular-nums">{item.badge}</span>
              )}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export { SidebarNav };
export type { NavItem, SidebarNavProps };
