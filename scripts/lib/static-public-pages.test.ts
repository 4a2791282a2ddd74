import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stripClientRuntimeFromPublicPages, withoutClientRuntime } from './static-public-pages';

// The shape of a page `next build` prerenders: script preloads and the Turbopack bootstrap in the
// head, the React Server Components payload inline at the end of the body.
const PRERENDERED = `<!DOCTYPE html><html lang="de"><head><meta charSet="utf-8"/>
<link rel="preload" href="/_next/static/media/geist.woff2" as="font" crossorigin="" type="font/woff2"/>
<link rel="stylesheet" href="/_next/static/chunks/a.css" data-precedence="next"/>
<link rel="preload" as="script" fetchPriority="low" href="/_next/static/chunks/b.js"/>
<link rel="modulepreload" href="/_next/static/chunks/c.js"/>
<script src="/_next/static/chunks/d.js" async=""></script>
 <script type="application/ld+json">{"@type":"SoftwareApplication","name":"Lathe"}</script>
<title>Lathe</title><link rel="alternate" hrefLang="en" href="http://localhost:3000"/></head>
<body><div hidden=""><!--$--><!--/$--></div><main id="main"><h1>Lathe</h1>
<details id="language-header"><summary>Deutsch</summary><ul><li><a href="/pl" hrefLang="pl">Polski</a></li></ul></details>
<pre><code>const a = '&lt;script&gt;';</code></pre></main>
<script id="_R_">(globalThis.TURBOPACK || (globalThis.TURBOPACK = [])).push({});</script>
<script>(self.__next_f=self.__next_f||[]).push([0])</script><script>self.__next_f.push([1,"0:[]"])</script>
<script src="/_next/static/chunks/polyfills.js" noModule=""></script></body></html>`;

describe('withoutClientRuntime', () => {
  const html = withoutClientRuntime(PRERENDERED);

  it('drops every script that runs, inline or not, and every script preload', () => {
    expect(html.match(/<script[^>]*>/gi)).toEqual(['<script type="application/ld+json">']);
    expect(html).not.toContain('__next_f');
    expect(html).not.toContain('b.js');
    expect(html).not.toContain('modulepreload');
  });

  it('keeps the document: styles, font preloads, metadata, content, menus and escaped text', () => {
    expect(html).toMatch(/^<!DOCTYPE html><html lang="de">/);
    expect(html).toContain('<link rel="stylesheet" href="/_next/static/chunks/a.css"');
    expect(html).toContain('as="font"');
    expect(html).toContain('<title>Lathe</title>');
    expect(html).toContain('{"@type":"SoftwareApplication","name":"Lathe"}');
    expect(html).toContain('hreflang="en"');
    expect(html).toContain('<details id="language-header"><summary>Deutsch</summary>');
    expect(html).toContain('<a href="/pl" hreflang="pl">Polski</a>');
    expect(html).toContain("const a = '&lt;script&gt;';");
  });
});

/** A `next build` output in the shape the step reads: the prerender manifest, each route's client reference manifest and the pages' HTML. */
function buildOutput(clientModules: Record<string, string[]>) {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-static-pages-'));
  const routes = {
    '/en': { srcRoute: '/[locale]', dataRoute: '/en.rsc', initialRevalidateSeconds: false },
    '/en/pricing': { srcRoute: '/[locale]/pricing', dataRoute: '/en/pricing.rsc', initialRevalidateSeconds: 60 },
    '/en/blog/rss.xml': { srcRoute: '/[locale]/blog/rss.xml', dataRoute: null, initialRevalidateSeconds: false },
    '/docs': { srcRoute: null, dataRoute: '/docs.rsc', initialRevalidateSeconds: false },
  };
  fs.writeFileSync(path.join(dist, 'prerender-manifest.json'), JSON.stringify({ routes }));
  for (const [route, modules] of Object.entries(clientModules)) {
    fs.mkdirSync(path.join(dist, 'server', 'app', route), { recursive: true });
    const manifest = { clientModules: Object.fromEntries(modules.map((m) => [`[project]/${m} <module evaluation>`, { id: 1 }])) };
    fs.writeFileSync(path.join(dist, 'server', 'app', route, 'page_client-reference-manifest.js'), `globalThis.__RSC_MANIFEST = globalThis.__RSC_MANIFEST || {};\nglobalThis.__RSC_MANIFEST[${JSON.stringify(`${route}/page`)}] = ${JSON.stringify(manifest)};`);
  }
  for (const page of ['en', 'en/pricing', 'docs']) {
    fs.mkdirSync(path.dirname(path.join(dist, 'server', 'app', page)), { recursive: true });
    fs.writeFileSync(path.join(dist, 'server', 'app', `${page}.html`), PRERENDERED);
  }
  fs.mkdirSync(path.join(dist, 'server', 'route-cache', 'APP_PAGE'), { recursive: true });
  return dist;
}

describe('stripClientRuntimeFromPublicPages', () => {
  const html = (dist: string, page: string) => fs.readFileSync(path.join(dist, 'server', 'app', `${page}.html`), 'utf8');

  it('rewrites the public pages built once, and leaves regenerated pages, route handlers and other parts alone', () => {
    const dist = buildOutput({ '/[locale]': ['node_modules/next/dist/client/app-dir/link.js', 'node_modules/lucide-react/dist/esm/Icon.mjs'] });
    expect(stripClientRuntimeFromPublicPages(dist)).toEqual(['/en']);
    expect(html(dist, 'en')).not.toContain('<script src');
    expect(html(dist, 'en')).not.toContain('__next_f');
    expect(html(dist, 'en/pricing')).toContain('<script');
    expect(html(dist, 'docs')).toContain('<script');
    expect(fs.existsSync(path.join(dist, 'server', 'route-cache'))).toBe(false);
    fs.rmSync(dist, { recursive: true });
  });

  it('refuses a page built once with a client component of its own, naming it', () => {
    const dist = buildOutput({ '/[locale]': ['node_modules/next/dist/client/app-dir/link.js', 'components/marketing/theme-toggle.tsx'] });
    expect(() => stripClientRuntimeFromPublicPages(dist)).toThrow(/\/\[locale\] is built once .*components\/marketing\/theme-toggle\.tsx/);
    expect(html(dist, 'en')).toContain('<script');
    fs.rmSync(dist, { recursive: true });
  });
});
