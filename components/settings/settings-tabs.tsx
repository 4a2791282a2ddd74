'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useTranslations } from 'next-intl';
import { cn } from '@/lib/utils';

export function SettingsTabs() {
  const t = useTranslations('settings.tabs');
  const pathname = usePathname();
  const tabs = [
    { href: '/settings', label: t('profile') },
    { href: '/settings/organization', label: t('organization') },
    { href: '/settings/members', label: t('members') },
  ];
  return (
    <nav aria-label={t('label')} className="flex gap-1 border-b">
      {tabs.map((tab) => {
        const active = pathname === tab.href;
        return (
          <Link
            key={tab.href}
            href={tab.href}
            aria-current={active ? 'page' : undefined}
            className={cn(
              'focus-visible:ring-ring -mb-px rounded-t-md border-b-2 px-3 py-2 text-sm font-medium outline-none focus-visible:ring-2',
              active ? 'border-primary text-foreground' : 'text-muted-foreground hover:text-foreground border-transparent',
            )}
          >
            {tab.label}
          </Link>
        );
      })}
    </nav>
  );
}
