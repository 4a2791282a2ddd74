import type { MetadataRoute } from 'next';
import { postSlugs } from '@/components/marketing/blog';
import { languageAlternates, siteOrigin } from '@/components/marketing/page-metadata';
import { docsPaths, MARKETING_PAGES } from '@/components/marketing/site-pages';
import { locales, localizedPath } from '@/i18n/locales';

// Every public page in every language (each entry listing its alternates), the blog posts, and
// the documentation (English only; any content/docs/**/*.mdx appears here without a change).
// Read per request, so the URLs follow PUBLIC_URL as the server runs, not as it was built.
export const dynamic = 'force-dynamic';

export default function sitemap(): MetadataRoute.Sitemap {
  const origin = siteOrigin();
  const pages = [...MARKETING_PAGES, ...postSlugs().map((slug) => `/blog/${slug}`)];
  const localized = pages.flatMap((page) =>
    locales.map((locale) => ({ url: origin + localizedPath(locale, page), alternates: { languages: languageAlternates(page) } })),
  );
  return [...localized, ...docsPaths().map((page) => ({ url: origin + page }))];
}
