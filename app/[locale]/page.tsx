import Link from 'next/link';
import { getTranslations, setRequestLocale } from 'next-intl/server';
import { CodeSample, OPENAI_SAMPLE } from '@/components/marketing/code-sample';
import { ComparisonTable } from '@/components/marketing/comparison-table';
import { LossCurve } from '@/components/marketing/loss-curve';
import { MarketingPage } from '@/components/marketing/marketing-page';
import { pageMetadata } from '@/components/marketing/page-metadata';
import { localizedPath, type Locale } from '@/i18n/locales';

type Props = { params: Promise<{ locale: Locale }> };

// Prerendered per language; a cookie or header read anywhere below fails the build instead.
export const dynamic = 'error';

const STEPS = ['upload', 'validate', 'train', 'chat', 'code'] as const;
const FEATURES = ['selfHosted', 'validation', 'live', 'openai', 'teams', 'credits'] as const;

export async function generateMetadata({ params }: Props) {
  const { locale } = await params;
  const t = await getTranslations({ locale, namespace: 'site.meta.home' });
  return { ...(await pageMetadata({ locale, pathname: '/', title: t('title'), description: t('description'), ogPage: 'home' })), title: { absolute: t('title') } };
}

export default async function LandingPage({ params }: Props) {
  const { locale } = await params;
  setRequestLocale(locale);
  const t = await getTranslations({ locale, namespace: 'home' });
  return (
    <MarketingPage locale={locale} pathname="/">
      <section className="mx-auto max-w-4xl px-4 pt-16 pb-12 text-center sm:px-6 sm:pt-24">
        <h1 className="text-4xl font-semibold tracking-tight text-balance sm:text-6xl">{t('hero.title')}</h1>
        <p className="text-muted-foreground mx-auto mt-6 max-w-2xl text-lg text-pretty sm:text-xl">{t('hero.lead')}</p>
        <div className="mt-8 flex flex-wrap justify-center gap-3">
          <Link href="/sign-up" prefetch={false} className="bg-primary text-primary-foreground hover:bg-primary/90 rounded-md px-5 py-2.5 font-medium">
            {t('hero.ctaPrimary')}
          </Link>
          <Link href="/docs" prefetch={false} className="hover:bg-accent rounded-md border px-5 py-2.5 font-medium">
            {t('hero.ctaDocs')}
          </Link>
        </div>
      </section>

      <section aria-labelledby="loop" className="mx-auto grid max-w-6xl items-center gap-10 px-4 py-12 sm:px-6 lg:grid-cols-2">
        <div>
          <h2 id="loop" className="text-2xl font-semibold tracking-tight sm:text-3xl">
            {t('loop.title')}
          </h2>
          <p className="text-muted-foreground mt-3">{t('loop.lead')}</p>
          <ol className="mt-6 grid gap-4">
            {STEPS.map((step, i) => (
              <li key={step} className="flex gap-3">
                <span className="bg-primary text-primary-foreground grid size-7 shrink-0 place-items-center rounded-full text-sm font-semibold">{i + 1}</span>
                <div>
                  <h3 className="font-medium">{t(`loop.steps.${step}.title`)}</h3>
                  <p className="text-muted-foreground text-sm">{t(`loop.steps.${step}.body`)}</p>
                </div>
              </li>
            ))}
          </ol>
        </div>
        <LossCurve locale={locale} />
      </section>

      <section aria-labelledby="features" className="mx-auto max-w-6xl px-4 py-12 sm:px-6">
        <h2 id="features" className="text-2xl font-semibold tracking-tight sm:text-3xl">
          {t('features.title')}
        </h2>
        <ul className="mt-6 grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {FEATURES.map((feature) => (
            <li key={feature} className="bg-card rounded-lg border p-5">
              <h3 className="font-medium">{t(`features.items.${feature}.title`)}</h3>
              <p className="text-muted-foreground mt-1.5 text-sm">{t(`features.items.${feature}.body`)}</p>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="compare" className="mx-auto max-w-6xl px-4 py-12 sm:px-6">
        <h2 id="compare" className="text-2xl font-semibold tracking-tight sm:text-3xl">
          {t('compare.title')}
        </h2>
        <p className="text-muted-foreground mt-3 mb-6">{t('compare.lead')}</p>
        <ComparisonTable locale={locale} />
      </section>

      <section aria-labelledby="code" className="mx-auto grid max-w-6xl gap-8 px-4 py-12 sm:px-6 lg:grid-cols-[2fr_3fr]">
        <div>
          <h2 id="code" className="text-2xl font-semibold tracking-tight sm:text-3xl">
            {t('code.title')}
          </h2>
          <p className="text-muted-foreground mt-3">{t('code.lead')}</p>
          <Link href="/docs" prefetch={false} className="text-primary mt-4 inline-block font-medium underline-offset-4 hover:underline">
            {t('hero.ctaDocs')} →
          </Link>
        </div>
        <CodeSample code={OPENAI_SAMPLE} caption={t('code.caption')} />
      </section>

      <section aria-labelledby="start" className="mx-auto max-w-3xl px-4 py-16 text-center sm:px-6">
        <h2 id="start" className="text-2xl font-semibold tracking-tight sm:text-3xl">
          {t('cta.title')}
        </h2>
        <p className="text-muted-foreground mt-3">{t('cta.body')}</p>
        <div className="mt-6 flex flex-wrap justify-center gap-3">
          <Link href="/sign-up" prefetch={false} className="bg-primary text-primary-foreground hover:bg-primary/90 rounded-md px-5 py-2.5 font-medium">
            {t('cta.signUp')}
          </Link>
          <Link href={localizedPath(locale, '/self-hosting')} prefetch={false} className="hover:bg-accent rounded-md border px-5 py-2.5 font-medium">
            {t('cta.selfHost')}
          </Link>
        </div>
      </section>
    </MarketingPage>
  );
}
