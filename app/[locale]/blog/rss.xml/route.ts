import { getTranslations } from 'next-intl/server';
import { listPosts } from '@/components/marketing/blog';
import { siteOrigin } from '@/components/marketing/page-metadata';
import { isLocale, locales, localizedPath } from '@/i18n/locales';

export const dynamic = 'force-static';

export function generateStaticParams() {
  return locales.map((locale) => ({ locale }));
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The blog of one language as RSS 2.0. */
export async function GET(_request: Request, { params }: { params: Promise<{ locale: string }> }) {
  const { locale } = await params;
  if (!isLocale(locale)) return new Response('Not found', { status: 404 });
  const t = await getTranslations({ locale, namespace: 'site.meta.blog' });
  const origin = siteOrigin();
  const items = listPosts(locale)
    .map((post) => {
      const url = origin + localizedPath(locale, `/blog/${post.slug}`);
      return `<item><title>${escape(post.title)}</title><link>${url}</link><guid isPermaLink="true">${url}</guid><pubDate>${new Date(`${post.date}T00:00:00Z`).toUTCString()}</pubDate><description>${escape(post.description)}</description></item>`;
    })
    .join('');
  const xml = `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>${escape(`Lathe · ${t('title')}`)}</title><link>${origin + localizedPath(locale, '/blog')}</link><description>${escape(t('description'))}</description><language>${locale}</language><atom:link href="${origin + localizedPath(locale, '/blog/rss.xml')}" rel="self" type="application/rss+xml"/>${items}</channel></rss>`;
  return new Response(xml, { headers: { 'content-type': 'application/rss+xml; charset=utf-8' } });
}
