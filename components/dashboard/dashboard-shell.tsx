'use client';

import { usePathname, useRouter } from 'next/navigation';
import { signOut } from 'next-auth/react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { BarChart3, Bot, Cpu, Database, FlaskConical, Gauge, KeyRound, MessagesSquare, Settings, Shield, Webhook } from 'lucide-react';
import { AppShell } from '@/components/layout/app-shell';
import { ProjectSwitcher } from '@/components/layout/project-switcher';
import { UserMenu } from '@/components/layout/user-menu';
import type { NavItem } from '@/components/layout/sidebar-nav';
import { useTRPC } from '@/lib/trpc/client';

export const PROJECT_COOKIE = 'lathe_project';

export function DashboardShell({ user, children }: { user: { name: string | null; email: string; admin: boolean }; children: React.ReactNode }) {
  const t = useTranslations('dashboard.nav');
  const pathname = usePathname();
  const router = useRouter();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = useQuery(trpc.organization.current.queryOptions());

  const items: NavItem[] = [
    { href: '/datasets', label: t('datasets'), icon: Database },
    { href: '/models', label: t('models'), icon: Bot },
    { href: '/jobs', label: t('jobs'), icon: FlaskConical },
    { href: '/evaluations', label: t('evaluations'), icon: Gauge },
    { href: '/playground', label: t('playground'), icon: MessagesSquare },
    { href: '/api-keys', label: t('apiKeys'), icon: KeyRound },
    { href: '/webhooks', label: t('webhooks'), icon: Webhook },
    { href: '/usage', label: t('usage'), icon: BarChart3 },
    { href: '/settings', label: t('settings'), icon: Settings },
    ...(user.admin ? [{ href: '/admin', label: t('admin'), icon: Shield }] : []),
  ].map((item) => ({ ...item, active: pathname === item.href || pathname.startsWith(`${item.href}/`) }));

  function selectProject(projectId: string) {
    document.cookie = `${PROJECT_COOKIE}=${projectId}; path=/; max-age=${60 * 60 * 24 * 365}; samesite=lax`;
    void queryClient.invalidateQueries();
    router.refresh();
  }

  return (
    <AppShell
      navItems={items}
      homeHref="/datasets"
      projectSwitcher={
        current.data ? (
          <ProjectSwitcher projects={current.data.projects} currentProjectId={current.data.projectId} onSelect={selectProject} />
        ) : (
          <div className="text-muted-foreground flex h-9 items-center gap-2 px-2 text-sm">
            <Cpu className="size-4" aria-hidden />
            {t('loadingProject')}
          </div>
        )
      }
      userMenu={
        <UserMenu
          name={user.name}
          email={user.email}
          links={[
            { href: '/settings', label: t('settings') },
            { href: '/api-keys', label: t('apiKeys') },
            { href: '/usage', label: t('usage') },
          ]}
          onSignOut={() => void signOut({ callbackUrl: '/sign-in' })}
        />
      }
    >
      {children}
    </AppShell>
  );
}
