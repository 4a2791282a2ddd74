import type { Metadata } from 'next';
import { requireUser } from '@/server/auth/current-user';
import { DashboardShell } from '@/components/dashboard/dashboard-shell';
import { AppDocument } from '@/components/layout/app-document';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: { default: 'Lathe', template: '%s · Lathe' },
  description: 'Fine-tune and serve open LLMs on your own GPUs.',
};

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const user = await requireUser('/datasets');
  return (
    <AppDocument>
      <DashboardShell user={{ name: user.name, email: user.email, admin: user.role === 'ADMIN' }}>
        {children}
      </DashboardShell>
    </AppDocument>
  );
}
