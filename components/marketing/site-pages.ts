// The public site's pages, one list for the sitemap, the hreflang alternates and the site tests.
import fs from 'node:fs';
import path from 'node:path';

export const MARKETING_PAGES = ['/', '/pricing', '/self-hosting', '/security', '/blog', '/imprint', '/terms', '/privacy'] as const;
export type MarketingPage = (typeof MARKETING_PAGES)[number];

/** The key of a page's title and description in messages site.meta. */
export const PAGE_META_KEY = {
  '/': 'home',
  '/pricing': 'pricing',
  '/self-hosting': 'selfHosting',
  '/security': 'security',
  '/blog': 'blog',
  '/imprint': 'imprint',
  '/terms': 'terms',
  '/privacy': 'privacy',
} as const satisfies Record<MarketingPage, string>;

/**
 * The documentation's pages for the sitemap: every content/docs/**\/*.mdx as /docs/<path>
 * (index.mdx is its folder). The docs are English only, so they have no alternates.
 */
export function docsPaths(root = process.cwd()): string[] {
  const dir = path.join(/*turbopackIgnore: true*/ root, 'content', 'docs');
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (sub: string) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.posix.join(sub, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.mdx')) {
        const slug = rel.replace(/\.mdx$/, '').replace(/(^|\/)index$/, '');
        out.push(slug ? `/docs/${slug}` : '/docs');
      }
    }
  };
  walk('');
  return out.sort();
}
