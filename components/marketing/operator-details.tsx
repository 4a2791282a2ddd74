import { getTranslations } from 'next-intl/server';
import { env } from '@/server/env';
import type { Locale } from '@/i18n/locales';

/** The operator of this installation as configured (LATHE_OPERATOR_* in server/env.ts). */
export function operatorDetails() {
  return {
    name: env.LATHE_OPERATOR_NAME,
    address: env.LATHE_OPERATOR_ADDRESS?.replace(/\\n/g, '\n'),
    email: env.LATHE_OPERATOR_EMAIL,
    representative: env.LATHE_OPERATOR_REPRESENTATIVE,
    register: env.LATHE_OPERATOR_REGISTER,
    vatId: env.LATHE_OPERATOR_VAT_ID,
  };
}

export async function OperatorDetails({ locale }: { locale: Locale }) {
  const t = await getTranslations({ locale, namespace: 'legal' });
  const op = operatorDetails();
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
export async function LegalPage({ locale, page, items }: { locale: Locale; page: 'imprint' | 'terms' | 'privacy'; items: readonly string[] }) {
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
        <OperatorDetails locale={locale} />
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
