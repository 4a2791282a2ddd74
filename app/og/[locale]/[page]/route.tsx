import { ImageResponse } from 'next/og';
import { getTranslations } from 'next-intl/server';
import { listPosts, postSlugs } from '@/components/marketing/blog';
import { japaneseFontFamily, japaneseFonts } from '@/components/marketing/og-fonts';
import { MARKETING_PAGES, PAGE_META_KEY } from '@/components/marketing/site-pages';
import { isLocale, locales, type Locale } from '@/i18n/locales';

// Open Graph images, one per public page and locale, rendered at build time. Japanese cards are
// set in Noto Sans JP (only the subsets their text uses: og-fonts.ts); the others in the font
// next/og bundles.
export const dynamic = 'force-static';
export const dynamicParams = false;

const PAGES = MARKETING_PAGES.map((p) => (p === '/' ? 'home' : p.slice(1)));

export function generateStaticParams() {
  return locales.flatMap((locale) => [...PAGES, ...postSlugs().map((slug) => `blog-${slug}`)].map((page) => ({ locale, page })));
}

async function cardText(locale: Locale, page: string): Promise<{ title: string; description: string } | null> {
  if (page.startsWith('blog-')) {
    const post = listPosts(locale).find((p) => `blog-${p.slug}` === page);
    return post ? { title: post.title, description: post.description } : null;
  }
  const path = page === 'home' ? '/' : `/${page}`;
  const key = PAGE_META_KEY[path as keyof typeof PAGE_META_KEY];
  if (!key) return null;
  const t = await getTranslations({ locale, namespace: `site.meta.${key}` });
  return { title: t('title'), description: t('description') };
}

export async function GET(_request: Request, { params }: { params: Promise<{ locale: string; page: string }> }) {
  const { locale, page } = await params;
  if (!isLocale(locale)) return new Response('Not found', { status: 404 });
  const text = await cardText(locale, page);
  if (!text) return new Response('Not found', { status: 404 });
  const fonts = locale === 'ja' ? japaneseFonts(`Lathe${text.title}${text.description}`) : null;
  return new ImageResponse(
    (
      <div style={{ width: '100%', height: '100%', display: 'flex', flexDirection: 'column', justifyContent: 'space-between', padding: 72, background: '#0b1220', color: '#f5f7fb', ...(fonts ? { fontFamily: japaneseFontFamily(fonts) } : {}) }}>
        <div style={{ display: 'flex', alignItems: 'center', gap: 20 }}>
          <div style={{ width: 64, height: 64, borderRadius: 16, background: '#3b6fd8', display: 'flex', alignItems: 'center', justifyContent: 'center' }}>
            <div style={{ width: 30, height: 34, borderRadius: 8, background: '#f5f7fb' }} />
          </div>
          <div style={{ fontSize: 44, fontWeight: 600 }}>Lathe</div>
        </div>
        <div style={{ display: 'flex', flexDirection: 'column', gap: 20 }}>
          <div style={{ fontSize: text.title.length > 48 ? 56 : 72, fontWeight: 600, lineHeight: 1.1 }}>{text.title}</div>
          <div style={{ fontSize: 30, color: '#aab4c8', lineHeight: 1.35 }}>{text.description}</div>
        </div>
        <svg width="1056" height="80" viewBox="0 0 1056 80">
          <path d="M0 6 C 140 60, 260 66, 420 70 S 800 74, 1056 75" stroke="#3b6fd8" strokeWidth="5" fill="none" />
        </svg>
      </div>
    ),
    { width: 1200, height: 630, ...(fonts ? { fonts } : {}) },
  );
}
