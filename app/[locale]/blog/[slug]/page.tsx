import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getFormatter, getTranslations, setRequestLocale } from 'next-intl/server';
import { loadPost, postSlugs } from '@/components/marketing/blog';
import { MarketingPage } from '@/components/marketing/marketing-page';
import { mdxComponents } from '@/components/marketing/mdx-components';
import { pageMetadata } from '@/components/marketing/page-metadata';
import { locales, localizedPath, type Locale } from '@/i18n/locales';

type Props = { params: Promise<{ locale: Locale; slug: string }> };

export const dynamicParams = false;
// Prerendered per language; a cookie or header read anywhere below fails the build instead.
export const dynamic = 'error';

export function generateStaticParams() {
  return locales.flatMap((locale) => postSlugs().map((slug) => ({ locale, slug })));
}

export async function generateMetadata({ params }: Props) {
  const { locale, slug } = await params;
  const post = await loadPost(slug, locale);
  if (!post) return {};
  const meta = await pageMetadata({ locale, pathname: `/blog/${slug}`, title: post.meta.title, description: post.meta.description, ogPage: `blog-${slug}` });
  return { ...meta, openGraph: { ...meta.openGraph, type: 'article', publishedTime: post.meta.date } };
}

export default async function BlogPost({ params }: Props) {
  const { locale, slug } = await params;
  setRequestLocale(locale);
  const post = await loadPost(slug, locale);
  if (!post) notFound();
  const t = await getTranslations({ locale, namespace: 'blog' });
  const format = await getFormatter({ locale });
  const { Content } = post;
  return (
    <MarketingPage locale={locale} pathname={`/blog/${slug}`}>
      <article className="mx-auto max-w-3xl px-4 pt-16 sm:px-6">
        <Link href={localizedPath(locale, '/blog')} prefetch={false} className="text-muted-foreground text-sm hover:underline">
          ← {t('back')}
        </Link>
        <h1 className="mt-4 text-3xl font-semibold tracking-tight text-balance sm:text-4xl">{post.meta.title}</h1>
        <p className="text-muted-foreground mt-2 text-sm">
          <time dateTime={post.meta.date}>{t('published', { date: format.dateTime(new Date(`${post.meta.date}T00:00:00Z`), { dateStyle: 'long', timeZone: 'UTC' }) })}</time>
        </p>
        <div className="mt-8 grid gap-4 leading-relaxed">
          <Content components={mdxComponents} />
        </div>
      </article>
    </MarketingPage>
  );
}
