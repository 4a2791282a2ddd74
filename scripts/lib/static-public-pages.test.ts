import { describe, expect, it } from 'vitest';
import { withoutClientRuntime } from './static-public-pages';

// The shape of a page `next build` prerenders: script preloads and the Turbopack bootstrap in the
// head, the React Server Components payload inline at the end of the body.
const PRERENDERED = `<!DOCTYPE html><html lang="de"><head><meta charSet="utf-8"/>
<link rel="preload" href="/_next/static/media/geist.woff2" as="font" crossorigin="" type="font/woff2"/>
<link rel="stylesheet" href="/_next/static/chunks/a.css" data-precedence="next"/>
<link rel="preload" as="script" fetchPriority="low" href="/_next/static/chunks/b.js"/>
<link rel="modulepreload" href="/_next/static/chunks/c.js"/>
<script src="/_next/static/chunks/d.js" async=""></script>
<title>Lathe</title><link rel="alternate" hrefLang="en" href="http://localhost:3000"/></head>
<body><div hidden=""><!--$--><!--/$--></div><main id="main"><h1>Lathe</h1>
<details id="language-header"><summary>Deutsch</summary><ul><li><a href="/pl" hrefLang="pl">Polski</a></li></ul></details>
<pre><code>const a = '&lt;script&gt;';</code></pre></main>
<script id="_R_">(globalThis.TURBOPACK || (globalThis.TURBOPACK = [])).push({});</script>
<script>(self.__next_f=self.__next_f||[]).push([0])</script><script>self.__next_f.push([1,"0:[]"])</script>
<script src="/_next/static/chunks/polyfills.js" noModule=""></script></body></html>`;

describe('withoutClientRuntime', () => {
  const html = withoutClientRuntime(PRERENDERED);

  it('drops every script, inline or not, and every script preload', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('__next_f');
    expect(html).not.toContain('b.js');
    expect(html).not.toContain('modulepreload');
  });

  it('keeps the document: styles, font preloads, metadata, content, menus and escaped text', () => {
    expect(html).toMatch(/^<!DOCTYPE html><html lang="de">/);
    expect(html).toContain('<link rel="stylesheet" href="/_next/static/chunks/a.css"');
    expect(html).toContain('as="font"');
    expect(html).toContain('<title>Lathe</title>');
    expect(html).toContain('hreflang="en"');
    expect(html).toContain('<details id="language-header"><summary>Deutsch</summary>');
    expect(html).toContain('<a href="/pl" hreflang="pl">Polski</a>');
    expect(html).toContain("const a = '&lt;script&gt;';");
  });
});
