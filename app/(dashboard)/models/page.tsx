import type { Metadata } from 'next';
import { ModelsTable } from '@/components/models/models-table';
import { ModelAliasesCard } from '@/components/serving/model-aliases-card';
import { requireUser } from '@/server/auth/current-user';
import { mayImportServerPaths } from '@/server/services/model-registry/import-root';

export const metadata: Metadata = { title: 'Models' };

export default async function ModelsPage() {
  const user = await requireUser('/models');
  return (
    <div className="grid gap-6">
      <ModelsTable admin={user.role === 'ADMIN'} serverPaths={mayImportServerPaths({ platformAdmin: user.role === 'ADMIN' })} />
      <ModelAliasesCard />
    </div>
  );
}
