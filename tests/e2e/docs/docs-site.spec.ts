// The documentation site in Chromium against the production build: every page under content/docs
// answers 200 with <html lang="en">, one h1, alt text on every image and no console error; every
// internal link and anchor resolves; the sidebar, table of contents, copy buttons, dark mode and
// search work; axe finds no serious or critical violation.
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '@/scripts/lib/supervisor';
import { launchBrowser } from '@/tests/helpers/browser';
import { startWeb } from '@/tests/helpers/web';

const CONTENT = path.resolve('content/docs');

/** Every page's URL, from the files themselves: `a/index.mdx` is /docs/a, `a/b.mdx` is /docs/a/b. */
function docsUrls(dir = CONTENT, prefix = '/docs'): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return docsUrls(path.join(dir, entry.name), `${prefix}/${entry.name}`);
    if (!/\.mdx?$/.test(entry.name)) return [];
    const name = entry.name.replace(/\.mdx?$/, '');
    return [name === 'index' ? prefix : `${prefix}/${name}`];
  });
}

/** The language a page declares in its frontmatter (translations of the quick start), else English. */
function pageLang(url: string): string {
  const rel = url.replace(/^\/docs\/?/, '');
  const candidates = [path.join(CONTENT, `${rel}.mdx`), path.join(CONTENT, rel, 'index.mdx')];
  const file = candidates.find((f) => fs.existsSync(f))!;
  return /^lang:\s*(\S+)/m.exec(fs.readFileSync(file, 'utf8'))?.[1] ?? 'en';
}

type Visited = { status: number; ids: Set<string>; links: string[] };

let platform: Platform;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
const visited = new Map<string, Visited>();
const consoleErrors: string[] = [];

beforeAll(async () => {
  platform = await startWeb();
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
}, 600_000);

afterAll(async () => {
  await closeBrowser?.();
  await platform?.stop();
});

describe('every documentation page', () => {
  const urls = docsUrls();

  it('finds the pages this site is expected to have', () => {
    for (const url of ['/docs', '/docs/quick-start', '/docs/concepts', '/docs/datasets', '/docs/fine-tuning-jobs', '/docs/serving', '/docs/cli-reference', '/docs/self-hosting', '/docs/troubleshooting']) {
      expect(urls).toContain(url);
    }
    for (const locale of ['de', 'es', 'fr', 'it', 'ja', 'nl', 'pl', 'pt']) expect(urls).toContain(`/docs/quick-start/${locale}`);
  });

  it('answers 200 with one h1, alt text on images, and no console error', async () => {
    for (const url of urls) {
      const before = consoleErrors.length;
      const response = await page.goto(`${platform.url}${url}`, { waitUntil: 'load' });
      const status = response?.status() ?? 0;
      expect(status, url).toBe(200);
      expect(await page.locator('html').getAttribute('lang'), url).toBe('en');
      const lang = pageLang(url);
      if (lang !== 'en') expect(await page.locator(`article[lang="${lang}"]`).count(), `${url} marks its language`).toBe(1);
      expect(await page.locator('h1').count(), `${url} has exactly one h1`).toBe(1);
      expect(await page.locator('img:not([alt])').count(), `${url} images without alt`).toBe(0);
      expect(await page.locator('svg[role="img"]:not(:has(title))').count(), `${url} diagrams without a title`).toBe(0);
      const { ids, links } = await page.evaluate(() => ({
        ids: [...document.querySelectorAll('[id]')].map((e) => e.id),
        links: [...document.querySelectorAll('a[href]')].map((a) => (a as HTMLAnchorElement).href),
      }));
      visited.set(url, { status, ids: new Set(ids), links });
      expect(consoleErrors.slice(before), url).toEqual([]);
    }
  });

  it('has no broken internal link or anchor', async () => {
    const origin = new URL(platform.url).origin;
    const broken: string[] = [];
    const statusOf = new Map<string, number>();
    for (const [from, { links }] of visited) {
      for (const href of links) {
        const target = new URL(href);
        if (target.origin !== origin) continue;
        const pathname = target.pathname.replace(/\/$/, '') || '/';
        let known = visited.get(pathname);
        if (!known && !statusOf.has(pathname)) statusOf.set(pathname, (await fetch(`${origin}${pathname}`, { redirect: 'manual' })).status);
        const status = known?.status ?? statusOf.get(pathname)!;
        if (status >= 400) broken.push(`${from} → ${pathname} (${status})`);
        const anchor = decodeURIComponent(target.hash.slice(1));
        if (anchor && known && !known.ids.has(anchor)) broken.push(`${from} → ${pathname}#${anchor} (no such anchor)`);
        known = undefined;
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('the docs layout', () => {
  it('has a sidebar listing the pages, a table of contents, and copy buttons on code', async () => {
    await page.goto(`${platform.url}/docs/quick-start`);
    const sidebar = page.locator('#nd-sidebar');
    await expect.poll(() => sidebar.getByRole('link', { name: 'Concepts' }).count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await sidebar.getByRole('link', { name: 'Troubleshooting' }).count()).toBeGreaterThan(0);
    expect(await page.locator('#nd-toc').getByRole('link', { name: 'Prepare a dataset' }).count()).toBeGreaterThan(0);
    const copy = page.locator('figure').filter({ hasText: 'npm start' }).first().getByRole('button', { name: /copy/i });
    expect(await copy.count()).toBe(1);
  });

  it('switches to dark mode and keeps it', async () => {
    await page.goto(`${platform.url}/docs/concepts`);
    const isDark = async () => /\bdark\b/.test((await page.locator('html').getAttribute('class')) ?? '');
    // As with search, the switch answers once the page has hydrated.
    await expect
      .poll(async () => {
        if (!(await isDark())) await page.getByRole('button', { name: /toggle theme/i }).first().click({ timeout: 1_000 }).catch(() => undefined);
        return isDark();
      }, { timeout: 20_000 })
      .toBe(true);
    await page.reload();
    expect(await page.locator('html').getAttribute('class')).toMatch(/\bdark\b/);
    // The lifecycle diagram is drawn on the server: an SVG in the HTML, no script needed.
    const html = await (await fetch(`${platform.url}/docs/concepts`)).text();
    expect(html).toContain('id="job-lifecycle-title"');
  });

  it('has no serious or critical accessibility violation', async () => {
    for (const url of ['/docs/quick-start', '/docs/concepts', '/docs/datasets']) {
      await page.goto(`${platform.url}${url}`);
      const results = await new AxeBuilder({ page }).analyze();
      const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(serious.map((v) => `${url}: ${v.id} (${v.nodes.length}) ${v.help}`)).toEqual([]);
    }
  });
});

describe('search', () => {
  it('answers a query from the search API, and exports its index for the dialog', async () => {
    const response = await fetch(`${platform.url}/api/search?query=checkpoint`);
    expect(response.status).toBe(200);
    const results = (await response.json()) as { url: string }[];
    expect(results.length).toBeGreaterThan(0);
    expect(results.some((r) => r.url.startsWith('/docs/fine-tuning-jobs'))).toBe(true);
    const exported = await fetch(`${platform.url}/api/search/static`);
    expect(exported.status).toBe(200);
    expect(JSON.stringify(await exported.json())).toContain('unrecognized_role');
  });

  it('finds a validation code from the search dialog and opens its section', async () => {
    await page.goto(`${platform.url}/docs`);
    const dialog = page.getByRole('dialog');
    // The trigger answers once the page has hydrated; until then a click does nothing.
    await expect
      .poll(async () => {
        if (!(await dialog.isVisible())) await page.locator('button[data-search-full]').first().click({ timeout: 1_000 }).catch(() => undefined);
        return dialog.isVisible();
      }, { timeout: 20_000 })
      .toBe(true);
    await dialog.getByPlaceholder('Search').fill('unrecognized_role');
    await dialog.getByText('unrecognized_role').first().click();
    await page.waitForURL(/\/docs\/datasets#unrecognized_role$/);
  });
});
