import { getTranslations } from 'next-intl/server';
import type { OperatorDetails as Operator } from '@/lib/universal/operator';
import type { Locale } from '@/i18n/locales';

export async function OperatorDetails({ locale, operator: op }: { locale: Locale; operator: Operator }) {
  const t = await getTranslations({ locale, namespace: 'legal' });
  if (!op.name) return <p className="bg-muted rounded-md p-4 text-sm">{t('unset')}</p>;
  const rows = [
    { label: t('operator'), value: op.name },
    { label: t('address'), value: op.address },
    { label: t('representative'), value: op.representative },
    { label: t('email'), value: op.email, href: op.email && `mailto:${op.email}` },
    { label: t('register'), value: op.register },
    { label: t('vat'), value: op.vatId },
  ].filter((row) => row.value);
  return (
    <dl className="grid gap-3 rounded-lg border p-4 sm:grid-cols-[12rem_1fr]">
      {rows.map((row) => (
        <div key={row.label} className="contents">
          <dt className="text-muted-foreground text-sm">{row.label}</dt>
          <dd className="whitespace-pre-line">{row.href ? <a className="text-primary underline" href={row.href}>{row.value}</a> : row.value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** An imprint, terms or privacy page: the heading, the operator and the numbered clauses. */
export async function LegalPage({ locale, page, items, operator }: { locale: Locale; page: 'imprint' | 'terms' | 'privacy'; items: readonly string[]; operator: Operator }) {
  const t = await getTranslations({ locale, namespace: 'legal' });
  return (
    <div className="mx-auto grid max-w-3xl gap-8 px-4 pt-16 sm:px-6">
      <div>
        <h1 className="text-3xl font-semibold tracking-tight sm:text-4xl">{t(`${page}.title`)}</h1>
        <p className="text-muted-foreground mt-3">{t(`${page}.lead`)}</p>
      </div>
      <section aria-labelledby="operator">
        <h2 id="operator" className="mb-3 text-xl font-semibold">
          {t('contact')}
        </h2>
        <OperatorDetails locale={locale} operator={operator} />
      </section>
      {items.length > 0 && (
        <ol className="list-decimal space-y-3 pl-5">
          {items.map((item) => (
            <li key={item}>{t(`${page}.items.${item}`)}</li>
          ))}
        </ol>
      )}
    </div>
  );
}
