import Link from 'next/link';
import { getTranslations } from 'next-intl/server';
import { Logo } from '@/components/layout/logo';
import { localizedPath, type Locale } from '@/i18n/locales';
import { LanguageSwitcher } from './language-switcher';

export async function SiteHeader({ locale, pathname }: { locale: Locale; pathname: string }) {
  const t = await getTranslations({ locale, namespace: 'site.nav' });
  const links = [
    { href: localizedPath(locale, '/pricing'), label: t('pricing') },
    { href: localizedPath(locale, '/self-hosting'), label: t('selfHosting') },
    { href: '/docs', label: t('docs') },
    { href: localizedPath(locale, '/blog'), label: t('blog') },
  ];
  return (
    <header className="border-b">
      <a href="#main" className="focus:bg-background sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-30 focus:rounded focus:px-3 focus:py-2">
        {t('skip')}
      </a>
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3 sm:px-6">
        <Link href={localizedPath(locale, '/')} aria-label={t('home')} className="mr-auto">
          <Logo decorative />
        </Link>
        <nav aria-label={t('label')} className="order-last w-full sm:order-none sm:w-auto">
          <ul className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
            {links.map((link) => (
              <li key={link.href}>
                <Link href={link.href} className="text-muted-foreground hover:text-foreground" prefetch={false}>
                  {link.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="flex items-center gap-1">
          <LanguageSwitcher locale={locale} pathname={pathname} id="language-header" />
          <Link href="/sign-in" prefetch={false} className="hover:bg-accent rounded-md px-3 py-1.5 text-sm">
            {t('signIn')}
          </Link>
          <Link href="/sign-up" prefetch={false} className="bg-primary text-primary-foreground hover:bg-primary/90 rounded-md px-3 py-1.5 text-sm font-medium">
            {t('signUp')}
          </Link>
        </div>
      </div>
    </header>
  );
}
