import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';
import { defaultLocale, locales, localizedPath, type Locale } from '@/i18n/locales';

/** The origin canonical URLs and the sitemap use: PUBLIC_URL (read when the page is built). */
export function siteOrigin(): string {
  return (process.env.PUBLIC_URL ?? `http://localhost:${process.env.PORT ?? 3000}`).replace(/\/+$/, '');
}

/** hreflang alternates for a page that exists in every locale, with x-default at the English one. */
export function languageAlternates(pathname: string): Record<string, string> {
  const origin = siteOrigin();
  return {
    ...Object.fromEntries(locales.map((l) => [l, origin + localizedPath(l, pathname)])),
    'x-default': origin + localizedPath(defaultLocale, pathname),
  };
}

/**
 * A public page's title, description, canonical URL, hreflang alternates and Open Graph image
 * (rendered per page and locale by app/og/[locale]/[page]/route.tsx).
 */
export async function pageMetadata({ locale, pathname, title, description, ogPage }: { locale: Locale; pathname: string; title: string; description: string; ogPage: string }): Promise<Metadata> {
  const t = await getTranslations({ locale, namespace: 'site' });
  const origin = siteOrigin();
  const url = origin + localizedPath(locale, pathname);
  const image = `${origin}/og/${locale}/${ogPage}`;
  return {
    metadataBase: new URL(origin),
    title,
    description,
    alternates: { canonical: url, languages: languageAlternates(pathname), types: { 'application/rss+xml': origin + localizedPath(locale, '/blog/rss.xml') } },
    openGraph: { type: 'website', url, title, description, siteName: 'Lathe', locale, images: [{ url: image, width: 1200, height: 630, alt: t('footer.tagline') }] },
    twitter: { card: 'summary_large_image', title, description, images: [image] },
  };
}
