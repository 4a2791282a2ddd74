import * as React from 'react';
import Link from 'next/link';
import { useTranslations } from 'next-intl';

import { Logo } from '@/components/layout/logo';
import { MobileNav } from '@/components/layout/mobile-nav';
import { RouteFocus } from '@/components/layout/route-focus';
import { SidebarNav, type NavItem } from '@/components/layout/sidebar-nav';
import { cn } from '@/lib/utils';

interface AppShellProps {
  navItems: readonly NavItem[];
  /** Usually a <ProjectSwitcher>; shown under the logo. */
  projectSwitcher?: React.ReactNode;
  /** Usually a <UserMenu>; shown at the right end of the top bar. */
  userMenu?: React.ReactNode;
  /** Left part of the top bar: breadcrumbs or the current context. */
  header?: React.ReactNode;
  /** Right part of the top bar, before the user menu. */
  headerActions?: React.ReactNode;
  /** Bottom of the sidebar: usage, plan, version. */
  sidebarFooter?: React.ReactNode;
  homeHref?: string;
  children: React.ReactNode;
  className?: string;
}

const MAIN_ID = 'main-content';

/**
 * The signed-in frame: a fixed sidebar from the md breakpoint up (a Sheet behind a menu button
 * below it), a sticky top bar, and the page content in a <main> landmark with a skip link.
 */
function AppShell({
  navItems,
  projectSwitcher,
  userMenu,
  header,
  headerActions,
  sidebarFooter,
  homeHref = '/',
  children,
  className,
}: AppShellProps) {
  const t = useTranslations('ui');

  const sidebar = (
    <div className="flex h-full flex-col">
      <div className="flex h-14 shrink-0 items-center px-4">
        <Link
          href={homeHref}
          aria-label={t('logo.home')}
          className="focus-visible:ring-sidebar-ring rounded-md outline-none focus-visible:ring-2"
        >
          <Logo decorative />
        </Link>
      </div>
      {projectSwitcher && <div className="shrink-0 px-3 pb-3">{projectSwitcher}</div>}
      <div className="min-h-0 flex-1 overflow-y-auto px-3 pb-3">
        <SidebarNav items={navItems} />
      </div>
      {sidebarFooter && (
        <div className="border-sidebar-border shrink-0 border-t p-3">{sidebarFooter}</div>
      )}
    </div>
  );

  return (
    <div data-slot="app-shell" className={cn('bg-background flex min-h-dvh', className)}>
      <a
        href={`#${MAIN_ID}`}
        className="bg-background focus-visible:ring-ring sr-only rounded-md border px-3 py-2 text-sm font-medium focus:not-sr-only focus:fixed focus:top-3 focus:left-3 focus:z-[100] focus-visible:ring-2"
      >
        {t('nav.skipToContent')}
      </a>
      <aside className="border-sidebar-border bg-sidebar text-sidebar-foreground sticky top-0 hidden h-dvh w-60 shrink-0 border-r md:block">
        {sidebar}
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="bg-background/95 supports-[backdrop-filter]:bg-background/80 sticky top-0 z-40 flex h-14 shrink-0 items-center gap-2 border-b px-4 backdrop-blur md:px-6">
          <MobileNav className="-ml-2">{sidebar}</MobileNav>
          <div className="min-w-0 flex-1">{header}</div>
          {(headerActions || userMenu) && (
            <div className="flex shrink-0 items-center gap-2">
              {headerActions}
              {userMenu}
            </div>
          )}
        </header>
        <main id={MAIN_ID} tabIndex={-1} className="flex-1 px-4 py-6 outline-none md:px-8 md:py-8">
          <div className="mx-auto w-full max-w-6xl">{children}</div>
          <RouteFocus mainId={MAIN_ID} />
        </main>
      </div>
    </div>
  );
}

export { AppShell };
export type { AppShellProps };
