import Link from 'next/link';
import { getFormatter, getTranslations, setRequestLocale } from 'next-intl/server';
import { listPosts } from '@/components/marketing/blog';
import { MarketingPage, PageIntro } from '@/components/marketing/marketing-page';
import { pageMetadata } from '@/components/marketing/page-metadata';
import { localizedPath, type Locale } from '@/i18n/locales';

type Props = { params: Promise<{ locale: Locale }> };

// Prerendered per language; a cookie or header read anywhere below fails the build instead.
export const dynamic = 'error';

export async function generateMetadata({ params }: Props) {
  const { locale } = await params;
  const t = await getTranslations({ locale, namespace: 'site.meta.blog' });
  return pageMetadata({ locale, pathname: '/blog', title: t('title'), description: t('description'), ogPage: 'blog' });
}

export default async function BlogIndex({ params }: Props) {
  const { locale } = await params;
  setRequestLocale(locale);
  const t = await getTranslations({ locale, namespace: 'blog' });
  const format = await getFormatter({ locale });
  const posts = listPosts(locale);
  return (
    <MarketingPage locale={locale} pathname="/blog">
      <PageIntro title={t('title')} lead={t('lead')} />
      <div className="mx-auto grid max-w-3xl gap-6 px-4 sm:px-6">
        <p>
          <a href={localizedPath(locale, '/blog/rss.xml')} className="text-primary text-sm font-medium underline-offset-4 hover:underline">
            {t('rss')}
          </a>
        </p>
        <ol className="grid gap-6">
          {posts.map((post) => (
            <li key={post.slug} className="bg-card rounded-lg border p-5">
              <article>
                <p className="text-muted-foreground text-sm">
                  <time dateTime={post.date}>{t('published', { date: format.dateTime(new Date(`${post.date}T00:00:00Z`), { dateStyle: 'long', timeZone: 'UTC' }) })}</time>
                </p>
                <h2 className="mt-1 text-xl font-semibold">
                  <Link href={localizedPath(locale, `/blog/${post.slug}`)} prefetch={false} className="hover:underline">
                    {post.title}
                  </Link>
                </h2>
                <p className="text-muted-foreground mt-2">{post.description}</p>
                <Link href={localizedPath(locale, `/blog/${post.slug}`)} prefetch={false} className="text-primary mt-3 inline-block text-sm font-medium" aria-label={`${t('readMore')}: ${post.title}`}>
                  {t('readMore')} →
                </Link>
              </article>
            </li>
          ))}
        </ol>
      </div>
    </MarketingPage>
  );
}
