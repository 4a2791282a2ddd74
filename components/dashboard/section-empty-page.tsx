import { getTranslations } from 'next-intl/server';
import { Button } from '@/components/ui/button';
import { EmptyState } from '@/components/common/empty-state';
import { PageHeader } from '@/components/common/page-header';
import Link from 'next/link';

/** A section's page before its feature lands: what it will hold and what to do meanwhile. */
export async function SectionEmptyPage({ section, icon }: { section: 'datasets' | 'jobs' | 'playground'; icon: React.ReactElement }) {
  const t = await getTranslations(`dashboard.sections.${section}`);
  return (
    <div className="grid gap-6">
      <PageHeader title={t('title')} description={t('description')} />
      <EmptyState
        icon={icon}
        title={t('emptyTitle')}
        description={t('emptyDescription')}
        action={
          <Button asChild variant="outline">
            <Link href="/api-keys">{t('action')}</Link>
          </Button>
        }
      />
    </div>
  );
}
