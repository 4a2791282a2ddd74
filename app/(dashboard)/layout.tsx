import { requireUser } from '@/server/auth/current-user';
import { DashboardShell } from '@/components/dashboard/dashboard-shell';

export const dynamic = 'force-dynamic';

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const user = await requireUser('/datasets');
  return (
    <DashboardShell user={{ name: user.name, email: user.email, admin: user.role === 'ADMIN' }}>
      {children}
    </DashboardShell>
  );
}
