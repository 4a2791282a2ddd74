import { getTranslations } from 'next-intl/server';
import { PageHeader } from '@/components/common/page-header';
import { SettingsTabs } from '@/components/settings/settings-tabs';

export default async function SettingsLayout({ children }: { children: React.ReactNode }) {
  const t = await getTranslations('settings');
  return (
    <div className="grid gap-6">
      <PageHeader title={t('title')} description={t('description')} />
      <SettingsTabs />
      {children}
    </div>
  );
}
