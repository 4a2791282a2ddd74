import Link from 'next/link';
import { GeistSans } from 'geist/font/sans';
import { getTranslations } from 'next-intl/server';

// Unknown addresses. Next.js renders this page into every route's tree, so it reads no cookie or
// header (which would make the prerendered public pages dynamic): it speaks English.
export default async function NotFound() {
  const t = await getTranslations({ locale: 'en', namespace: 'site.notFound' });
  return (
    <html lang="en" className={GeistSans.variable}>
      <body className="bg-background text-foreground min-h-dvh font-sans antialiased">
        <main className="mx-auto flex min-h-dvh max-w-xl flex-col items-center justify-center gap-4 px-6 text-center">
          <h1 className="text-3xl font-semibold">{t('title')}</h1>
          <p className="text-muted-foreground">{t('body')}</p>
          <Link className="text-primary underline" href="/">
            {t('home')}
          </Link>
        </main>
      </body>
    </html>
  );
}
