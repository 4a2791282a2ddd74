import type { Metadata } from 'next';
import { ModelsTable } from '@/components/models/models-table';
import { requireUser } from '@/server/auth/current-user';

export const metadata: Metadata = { title: 'Models' };

export default async function ModelsPage() {
  const user = await requireUser('/models');
  return <ModelsTable admin={user.role === 'ADMIN'} />;
}
