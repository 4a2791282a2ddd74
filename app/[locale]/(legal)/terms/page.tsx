import { getTranslations } from 'next-intl/server';
import { MarketingPage } from '@/components/marketing/marketing-page';
import { LegalPage } from '@/components/marketing/operator-details';
import { pageMetadata } from '@/components/marketing/page-metadata';
import { operatorDetails } from '@/server/services/site/operator-details';
import type { Locale } from '@/i18n/locales';

type Props = { params: Promise<{ locale: Locale }> };

// Operator details come from the environment at request time, not from the build.
export const dynamic = 'force-dynamic';

export async function generateMetadata({ params }: Props) {
  const { locale } = await params;
  const t = await getTranslations({ locale, namespace: 'site.meta.terms' });
  return pageMetadata({ locale, pathname: '/terms', title: t('title'), description: t('description'), ogPage: 'terms' });
}

export default async function TermsPage({ params }: Props) {
  const { locale } = await params;
  return (
    <MarketingPage locale={locale} pathname="/terms">
      <LegalPage locale={locale} page="terms" operator={operatorDetails()} items={['account', 'content', 'credits', 'availability', 'termination']} />
    </MarketingPage>
  );
}
