import { getTranslations, setRequestLocale } from 'next-intl/server';
import { MarketingPage, PageIntro } from '@/components/marketing/marketing-page';
import { pageMetadata } from '@/components/marketing/page-metadata';
import type { Locale } from '@/i18n/locales';

type Props = { params: Promise<{ locale: Locale }> };

// Prerendered per language; a cookie or header read anywhere below fails the build instead.
export const dynamic = 'error';

const LISTS = [
  { id: 'stored', items: ['account', 'data', 'usage', 'audit'] },
  { id: 'notStored', items: ['prompts', 'keys', 'tracking'] },
] as const;

export async function generateMetadata({ params }: Props) {
  const { locale } = await params;
  const t = await getTranslations({ locale, namespace: 'site.meta.security' });
  return pageMetadata({ locale, pathname: '/security', title: t('title'), description: t('description'), ogPage: 'security' });
}

export default async function SecurityPage({ params }: Props) {
  const { locale } = await params;
  setRequestLocale(locale);
  const t = await getTranslations({ locale, namespace: 'security' });
  return (
    <MarketingPage locale={locale} pathname="/security">
      <PageIntro title={t('title')} lead={t('lead')} />
      <div className="mx-auto grid max-w-3xl gap-10 px-4 sm:px-6">
        {LISTS.map((list) => (
          <section key={list.id} aria-labelledby={list.id}>
            <h2 id={list.id} className="text-2xl font-semibold tracking-tight">
              {t(`${list.id}.title`)}
            </h2>
            <ul className="text-muted-foreground mt-3 list-disc space-y-1.5 pl-5">
              {list.items.map((item) => (
                <li key={item}>{t(`${list.id}.items.${item}`)}</li>
              ))}
            </ul>
          </section>
        ))}
        <section aria-labelledby="cookies">
          <h2 id="cookies" className="text-2xl font-semibold tracking-tight">
            {t('cookies.title')}
          </h2>
          <p className="text-muted-foreground mt-3">{t('cookies.body')}</p>
          <ul className="text-muted-foreground mt-3 list-disc space-y-1.5 pl-5">
            <li>{t('cookies.session')}</li>
            <li>{t('cookies.locale')}</li>
          </ul>
        </section>
        <section aria-labelledby="deletion">
          <h2 id="deletion" className="text-2xl font-semibold tracking-tight">
            {t('deletion.title')}
          </h2>
          <p className="text-muted-foreground mt-3">{t('deletion.body')}</p>
        </section>
        <section aria-labelledby="self-hosted">
          <h2 id="self-hosted" className="text-2xl font-semibold tracking-tight">
            {t('selfHosted.title')}
          </h2>
          <p className="text-muted-foreground mt-3">{t('selfHosted.body')}</p>
        </section>
      </div>
    </MarketingPage>
  );
}
