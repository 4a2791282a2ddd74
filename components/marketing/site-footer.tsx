import Link from 'next/link';
import { getTranslations } from 'next-intl/server';
import { Logo } from '@/components/layout/logo';
import { localizedPath, type Locale } from '@/i18n/locales';
import { LanguageSwitcher } from './language-switcher';

export async function SiteFooter({ locale, pathname }: { locale: Locale; pathname: string }) {
  const t = await getTranslations({ locale, namespace: 'site' });
  const groups = [
    {
      title: t('footer.product'),
      links: [
        { href: localizedPath(locale, '/pricing'), label: t('nav.pricing') },
        { href: localizedPath(locale, '/self-hosting'), label: t('nav.selfHosting') },
        { href: localizedPath(locale, '/security'), label: t('nav.security') },
      ],
    },
    {
      title: t('footer.resources'),
      links: [
        { href: '/docs', label: t('nav.docs') },
        { href: localizedPath(locale, '/blog'), label: t('nav.blog') },
        { href: localizedPath(locale, '/blog/rss.xml'), label: t('footer.rss') },
      ],
    },
    {
      title: t('footer.legal'),
      links: [
        { href: localizedPath(locale, '/imprint'), label: t('footer.imprint') },
        { href: localizedPath(locale, '/terms'), label: t('footer.terms') },
        { href: localizedPath(locale, '/privacy'), label: t('footer.privacy') },
      ],
    },
  ];
  return (
    <footer className="bg-muted/40 mt-24 border-t">
      <div className="mx-auto grid max-w-6xl gap-8 px-4 py-10 sm:grid-cols-2 sm:px-6 lg:grid-cols-4">
        <div className="grid content-start gap-3">
          <Logo decorative />
          <p className="text-muted-foreground text-sm">{t('footer.tagline')}</p>
          <LanguageSwitcher locale={locale} pathname={pathname} id="language-footer" align="start" />
        </div>
        {groups.map((group) => (
          <nav key={group.title} aria-label={group.title}>
            <h2 className="mb-2 text-sm font-semibold">{group.title}</h2>
            <ul className="grid gap-1.5 text-sm">
              {group.links.map((link) => (
                <li key={link.href}>
                  <Link href={link.href} prefetch={false} className="text-muted-foreground hover:text-foreground">
                    {link.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        ))}
      </div>
    </footer>
  );
}
