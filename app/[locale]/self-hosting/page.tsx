import Link from 'next/link';
import { getTranslations, setRequestLocale } from 'next-intl/server';
import { CodeSample } from '@/components/marketing/code-sample';
import { MarketingPage, PageIntro } from '@/components/marketing/marketing-page';
import { pageMetadata } from '@/components/marketing/page-metadata';
import type { Locale } from '@/i18n/locales';

type Props = { params: Promise<{ locale: Locale }> };

// Prerendered per language; a cookie or header read anywhere below fails the build instead.
export const dynamic = 'error';

const ONE_MACHINE = `npm start
npx lathe doctor`;
const COMPOSE = `# .env: AUTH_SECRET=$(openssl rand -hex 32), PUBLIC_URL, S3 settings
docker compose up -d

# on each further GPU host, the same .env and:
docker compose up -d gpu-runner`;
const S3 = `LATHE_S3_BUCKET=lathe-artifacts
LATHE_S3_ENDPOINT=https://s3.example.com
AWS_ACCESS_KEY_ID=...
AWS_SECRET_ACCESS_KEY=...`;
const REQUIREMENTS = ['node', 'gpu', 'disk', 'database'] as const;

export async function generateMetadata({ params }: Props) {
  const { locale } = await params;
  const t = await getTranslations({ locale, namespace: 'site.meta.selfHosting' });
  return pageMetadata({ locale, pathname: '/self-hosting', title: t('title'), description: t('description'), ogPage: 'self-hosting' });
}

export default async function SelfHostingPage({ params }: Props) {
  const { locale } = await params;
  setRequestLocale(locale);
  const t = await getTranslations({ locale, namespace: 'selfHosting' });
  const steps = [
    { id: 'one-machine', title: t('one.title'), body: t('one.body'), code: ONE_MACHINE, note: t('one.doctor') },
    { id: 'gpu-hosts', title: t('many.title'), body: t('many.body'), code: COMPOSE },
    { id: 'storage', title: t('storage.title'), body: t('storage.body'), code: S3 },
  ];
  return (
    <MarketingPage locale={locale} pathname="/self-hosting">
      <PageIntro title={t('title')} lead={t('lead')} />
      <div className="mx-auto grid max-w-4xl gap-12 px-4 sm:px-6">
        {steps.map((step) => (
          <section key={step.id} aria-labelledby={step.id} className="grid gap-3">
            <h2 id={step.id} className="text-2xl font-semibold tracking-tight">
              {step.title}
            </h2>
            <p className="text-muted-foreground">{step.body}</p>
            <CodeSample code={step.code} caption="shell" />
            {step.note && <p className="text-muted-foreground text-sm">{step.note}</p>}
          </section>
        ))}
        <section aria-labelledby="requirements" className="grid gap-3">
          <h2 id="requirements" className="text-2xl font-semibold tracking-tight">
            {t('requirements.title')}
          </h2>
          <ul className="text-muted-foreground list-disc space-y-1.5 pl-5">
            {REQUIREMENTS.map((r) => (
              <li key={r}>{t(`requirements.${r}`)}</li>
            ))}
          </ul>
          <p>
            <Link href="/docs" prefetch={false} className="text-primary font-medium underline-offset-4 hover:underline">
              {t('docs')} →
            </Link>
          </p>
        </section>
      </div>
    </MarketingPage>
  );
}
