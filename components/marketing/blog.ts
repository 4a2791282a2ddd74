// The blog: content/blog/<slug>/<locale>.mdx, each with a frontmatter of title, description and
// date (YYYY-MM-DD). Every post exists in every locale (the site tests check it).
import fs from 'node:fs';
import path from 'node:path';
import { evaluate } from '@mdx-js/mdx';
import * as runtime from 'react/jsx-runtime';
import remarkGfm from 'remark-gfm';
import type { MDXComponents } from 'mdx/types';
import type { Locale } from '@/i18n/locales';

export type PostMeta = { slug: string; title: string; description: string; date: string };

const BLOG_DIR = path.join(/*turbopackIgnore: true*/ process.cwd(), 'content', 'blog');

/** Splits a `---` frontmatter of `key: value` lines (values optionally quoted) from the body. */
export function parseFrontmatter(source: string): { data: Record<string, string>; body: string } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(source);
  if (!match) return { data: {}, body: source };
  const data: Record<string, string> = {};
  for (const line of match[1]!.split(/\r?\n/)) {
    const m = /^(\w+):\s*(.*)$/.exec(line);
    if (m) data[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return { data, body: source.slice(match[0].length) };
}

export function postSlugs(): string[] {
  if (!fs.existsSync(BLOG_DIR)) return [];
  return fs.readdirSync(BLOG_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

function readPost(slug: string, locale: Locale) {
  const file = path.join(BLOG_DIR, slug, `${locale}.mdx`);
  if (!/^[a-z0-9-]+$/.test(slug) || !fs.existsSync(file)) return null;
  const { data, body } = parseFrontmatter(fs.readFileSync(file, 'utf8'));
  if (!data.title || !data.description || !/^\d{4}-\d{2}-\d{2}$/.test(data.date ?? '')) throw new Error(`${file}: the frontmatter needs title, description and date (YYYY-MM-DD).`);
  return { meta: { slug, title: data.title, description: data.description, date: data.date! }, body };
}

/** The posts of a locale, newest first. */
export function listPosts(locale: Locale): PostMeta[] {
  return postSlugs()
    .map((slug) => readPost(slug, locale)?.meta)
    .filter((meta): meta is PostMeta => Boolean(meta))
    .sort((a, b) => b.date.localeCompare(a.date) || a.slug.localeCompare(b.slug));
}

/** A post's metadata and its MDX body compiled to a component; null when it does not exist. */
export async function loadPost(slug: string, locale: Locale): Promise<{ meta: PostMeta; Content: (props: { components?: MDXComponents }) => React.ReactNode } | null> {
  const post = readPost(slug, locale);
  if (!post) return null;
  const { default: Content } = await evaluate(post.body, { ...runtime, remarkPlugins: [remarkGfm], development: false });
  return { meta: post.meta, Content };
}
