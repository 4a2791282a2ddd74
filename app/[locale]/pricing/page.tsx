import { NextIntlClientProvider } from 'next-intl';
import { getFormatter, getMessages, getTranslations, setRequestLocale } from 'next-intl/server';
import { MarketingPage, PageIntro } from '@/components/marketing/marketing-page';
import { pageMetadata } from '@/components/marketing/page-metadata';
import { PricingCalculator } from '@/components/marketing/pricing-calculator';
import { creditsToMoney, minorUnitDigits } from '@/components/marketing/price-book-source';
import { DEFAULT_PRICE_BOOK, SIZE_CLASS_IDS, type PriceBook } from '@/lib/universal/price-book';
import { getPriceBook } from '@/server/services/billing/price-book';
import { getDb } from '@/server/db';
import type { Locale } from '@/i18n/locales';

type Props = { params: Promise<{ locale: Locale }> };

// Prerendered per language; a cookie or header read anywhere below fails the build instead.
export const dynamic = 'error';
// Rendered again at most once a minute, so a price book an administrator edits shows here too.
export const revalidate = 60;

/** The price book this installation charges; the defaults in code while no database answers (as during a build without one). */
async function publicPriceBook(): Promise<PriceBook> {
  try {
    return await getPriceBook({ db: getDb() });
  } catch {
    return DEFAULT_PRICE_BOOK;
  }
}

const FAQ = ['what', 'estimate', 'failed', 'expire', 'selfHost', 'limits'] as const;

export async function generateMetadata({ params }: Props) {
  const { locale } = await params;
  const t = await getTranslations({ locale, namespace: 'site.meta.pricing' });
  return pageMetadata({ locale, pathname: '/pricing', title: t('title'), description: t('description'), ogPage: 'pricing' });
}

export default async function PricingPage({ params }: Props) {
  const { locale } = await params;
  setRequestLocale(locale);
  const t = await getTranslations({ locale, namespace: 'pricing' });
  const format = await getFormatter({ locale });
  const book = await publicPriceBook();
  const money = (minorUnits: number, currency: string, maximumFractionDigits?: number) =>
    format.number(minorUnits / 10 ** minorUnitDigits(currency), { style: 'currency', currency: currency.toUpperCase(), ...(maximumFractionDigits ? { maximumFractionDigits } : {}) });
  const messages = (await getMessages({ locale })) as { pricing: { calculator: Record<string, string>; sizes: Record<string, string> } };

  return (
    <MarketingPage locale={locale} pathname="/pricing">
      <PageIntro title={t('title')} lead={t('lead', { creditValue: format.number(creditsToMoney(1, book), { style: 'currency', currency: book.currency.toUpperCase() }) })} />

      <section aria-labelledby="packs" className="mx-auto max-w-5xl px-4 py-8 sm:px-6">
        <h2 id="packs" className="text-2xl font-semibold tracking-tight">
          {t('packs.title')}
        </h2>
        <ul className="mt-6 grid gap-4 sm:grid-cols-3">
          {book.packs.map((pack) => (
            <li key={pack.id} className="bg-card grid gap-2 rounded-xl border p-5">
              <h3 className="text-muted-foreground text-sm font-medium capitalize">{pack.id}</h3>
              <p className="text-3xl font-semibold tabular-nums">{money(pack.amount, pack.currency)}</p>
              <p className="font-medium">{t('packs.credits', { credits: format.number(pack.credits) })}</p>
              <p className="text-muted-foreground text-sm">{pack.bonusCredits ? t('packs.bonus', { bonus: format.number(pack.bonusCredits) }) : t('packs.noBonus')}</p>
              <p className="text-muted-foreground text-sm">{t('packs.perCredit', { price: money(pack.amount / (pack.credits + pack.bonusCredits), pack.currency, 4) })}</p>
            </li>
          ))}
        </ul>
        <p className="mt-4 text-sm">
          <a href="/sign-up" className="text-primary font-medium underline-offset-4 hover:underline">
            {t('packs.buy')} →
          </a>
        </p>
      </section>

      <section aria-labelledby="tokens" className="mx-auto max-w-5xl px-4 py-8 sm:px-6">
        <h2 id="tokens" className="text-2xl font-semibold tracking-tight">
          {t('tokens.title')}
        </h2>
        <p className="text-muted-foreground mt-2 mb-4">{t('tokens.lead')}</p>
        <div className="overflow-x-auto rounded-lg border" tabIndex={0} role="region" aria-label={t('tokens.caption')}>
          <table className="w-full min-w-[520px] text-left text-sm">
            <caption className="sr-only">{t('tokens.caption')}</caption>
            <thead className="bg-muted/60">
              <tr>
                <th scope="col" className="p-3 font-medium">
                  {t('tokens.size')}
                </th>
                <th scope="col" className="p-3 text-right font-medium">
                  {t('tokens.training')}
                </th>
                <th scope="col" className="p-3 text-right font-medium">
                  {t('tokens.prompt')}
                </th>
                <th scope="col" className="p-3 text-right font-medium">
                  {t('tokens.completion')}
                </th>
                {book.deploymentHour && (
                  <th scope="col" className="p-3 text-right font-medium">
                    {t('tokens.deploymentHour')}
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {SIZE_CLASS_IDS.map((size) => (
                <tr key={size} className="border-t">
                  <th scope="row" className="p-3 font-medium">
                    {t(`sizes.${size}`)}
                  </th>
                  <td className="p-3 text-right tabular-nums">{format.number(book.training[size])}</td>
                  <td className="p-3 text-right tabular-nums">{format.number(book.inference[size].prompt)}</td>
                  <td className="p-3 text-right tabular-nums">{format.number(book.inference[size].completion)}</td>
                  {book.deploymentHour && <td className="p-3 text-right tabular-nums">{format.number(book.deploymentHour[size])}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p className="text-muted-foreground mt-3 text-sm">{t(book.deploymentHour ? 'tokens.deploymentHourNote' : 'tokens.deployment')}</p>
      </section>

      <section aria-labelledby="calculator" className="mx-auto max-w-5xl px-4 py-8 sm:px-6">
        <h2 id="calculator" className="text-2xl font-semibold tracking-tight">
          {t('calculator.title')}
        </h2>
        <p className="text-muted-foreground mt-2 mb-4">{t('calculator.lead')}</p>
        <NextIntlClientProvider locale={locale} messages={{ pricing: { calculator: messages.pricing.calculator, sizes: messages.pricing.sizes } }}>
          <PricingCalculator book={{ training: book.training, creditValue: book.creditValue, currency: book.currency }} />
        </NextIntlClientProvider>
        <noscript>
          <p className="text-muted-foreground mt-2 text-sm">{t('calculator.noscript')}</p>
        </noscript>
      </section>

      <section aria-labelledby="faq" className="mx-auto max-w-3xl px-4 py-8 sm:px-6">
        <h2 id="faq" className="text-2xl font-semibold tracking-tight">
          {t('faq.title')}
        </h2>
        <div className="mt-4 divide-y rounded-lg border">
          {FAQ.map((item) => (
            <details key={item} className="p-4">
              <summary className="cursor-pointer font-medium">{t(`faq.items.${item}.q`)}</summary>
              <p className="text-muted-foreground mt-2 text-sm">{t(`faq.items.${item}.a`)}</p>
            </details>
          ))}
        </div>
      </section>
    </MarketingPage>
  );
}
