import { notFound } from 'next/navigation';
import { AdminOverview } from '@/components/admin/admin-overview';
import { requireUser } from '@/server/auth/current-user';

export default async function AdminPage() {
  const user = await requireUser('/admin');
  if (user.role !== 'ADMIN') notFound();
  return <AdminOverview />;
}
