// The public site in every language, in Chromium: each page answers 200 with the right
// <html lang>, exactly one h1, alt text on every image, no console errors, no missing messages,
// and no broken internal links or anchors; hreflang, canonical, Open Graph, sitemap, robots and
// RSS; language detection and the remembered choice; the landing page's JavaScript budget; the
// pricing calculator; axe-core on the pages people land on; and the dashboard's language from the
// user's setting.
import fs from 'node:fs';
import { gzipSync } from 'node:zlib';
import AxeBuilder from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser, signIn } from '@/tests/helpers/browser';
import { startWeb } from '@/tests/helpers/web';
import { callerFor, createTestUser } from '@/tests/helpers/factories';
import { postSlugs } from '@/components/marketing/blog';
import { MARKETING_PAGES } from '@/components/marketing/site-pages';
import { MISSING_MESSAGE_MARKER } from '@/i18n/messages';
import { estimateTrainingCredits } from '@/lib/universal/estimate-cost';
import { DEFAULT_PRICE_BOOK } from '@/lib/universal/price-book';
import { locales, localizedPath } from '@/lib/universal/locales';
import type { Platform } from '@/scripts/lib/supervisor';

let web: Platform;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
const consoleErrors: string[] = [];

const PAGES = [...MARKETING_PAGES, ...postSlugs().map((slug) => `/blog/${slug}`)];
// The documentation site is its own part of the app; its links are checked once it exists.
const DOCS_BUILT = fs.existsSync('app/docs');

beforeAll(async () => {
  web = await startWeb({ LATHE_STRICT_MESSAGES: '1', LATHE_OPERATOR_NAME: 'Example Operator GmbH', LATHE_OPERATOR_EMAIL: 'legal@example.test', LATHE_OPERATOR_ADDRESS: 'Hauptstraße 1\\n10115 Berlin' });
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  page.setDefaultTimeout(30_000);
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
});

afterAll(async () => {
  await closeBrowser?.();
  await web?.stop();
});

describe('every public page in every language', () => {
  const links = new Map<string, string>();

  it('answers 200 with its language, one h1, alt texts, alternates and no missing message', async () => {
    for (const locale of locales) {
      for (const pathname of PAGES) {
        const url = web.url + localizedPath(locale, pathname);
        const res = await page.goto(url, { waitUntil: 'load' });
        const where = `${locale} ${pathname}`;
        expect(res?.status(), where).toBe(200);
        expect(new URL(page.url()).pathname, where).toBe(localizedPath(locale, pathname));
        const facts = await page.evaluate(() => ({
          lang: document.documentElement.lang,
          h1: document.querySelectorAll('h1').length,
          imagesWithoutAlt: [...document.querySelectorAll('img')].filter((i) => !i.hasAttribute('alt')).map((i) => i.outerHTML.slice(0, 80)),
          unnamedSvgImages: [...document.querySelectorAll('svg[role="img"]')].filter((s) => !s.getAttribute('aria-label') && !s.querySelector('title')).length,
          text: document.body.innerText + document.title,
          title: document.title,
          description: document.querySelector('meta[name="description"]')?.getAttribute('content') ?? '',
          canonical: document.querySelector('link[rel="canonical"]')?.getAttribute('href') ?? '',
          hreflangs: [...document.querySelectorAll('link[rel="alternate"][hreflang]')].map((l) => l.getAttribute('hreflang')),
          ogImage: document.querySelector('meta[property="og:image"]')?.getAttribute('content') ?? '',
          hrefs: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')!),
          ids: [...document.querySelectorAll('[id]')].map((e) => e.id),
          switchers: ['language-header', 'language-footer'].map((id) => document.querySelectorAll(`#${id} a[hreflang]`).length),
        }));
        expect(facts.lang, where).toBe(locale);
        expect(facts.h1, where).toBe(1);
        expect(facts.imagesWithoutAlt, where).toEqual([]);
        expect(facts.unnamedSvgImages, where).toBe(0);
        expect(facts.text, where).not.toContain(MISSING_MESSAGE_MARKER);
        expect(facts.title.length, where).toBeGreaterThan(3);
        expect(facts.description.length, where).toBeGreaterThan(locale === 'ja' ? 10 : 20);
        expect(new URL(facts.canonical).pathname, where).toBe(localizedPath(locale, pathname));
        expect(facts.hreflangs.sort(), where).toEqual([...locales, 'x-default'].sort());
        expect(facts.ogImage, where).toMatch(new RegExp(`/og/${locale}/`));
        expect(facts.switchers, where).toEqual([locales.length, locales.length]);
        for (const href of facts.hrefs) {
          if (href.startsWith('#')) expect(facts.ids, `${where}: anchor ${href}`).toContain(href.slice(1));
          else if (href.startsWith('/') && !href.startsWith('//')) links.set(href.split('#')[0]!, where);
        }
        links.set(new URL(facts.ogImage).pathname, where);
      }
    }
    expect(consoleErrors).toEqual([]);
  });

  it('links only to addresses that answer', async () => {
    const broken: string[] = [];
    for (const [href, from] of links) {
      if (href.startsWith('/docs') && !DOCS_BUILT) continue;
      const res = await fetch(web.url + href, { redirect: 'follow' });
      if (res.status >= 400) broken.push(`${href} (${res.status}) linked from ${from}`);
      await res.arrayBuffer();
    }
    expect(broken).toEqual([]);
    if (!DOCS_BUILT) console.warn('public-site.spec: /docs links not checked, the documentation site is not in this build');
  });
});

describe('the site around the pages', () => {
  it('lists every page in every language in sitemap.xml, and points robots.txt at it', async () => {
    const sitemap = await (await fetch(`${web.url}/sitemap.xml`)).text();
    for (const locale of locales) for (const pathname of PAGES) expect(sitemap).toContain(`<loc>${web.url}${localizedPath(locale, pathname)}</loc>`);
    expect(sitemap).toContain('hreflang="ja"');
    const robots = await (await fetch(`${web.url}/robots.txt`)).text();
    expect(robots).toContain(`Sitemap: ${web.url}/sitemap.xml`);
  });

  it('serves an RSS feed per language and an Open Graph image per page', async () => {
    const feed = await fetch(`${web.url}/de/blog/rss.xml`);
    expect(feed.headers.get('content-type')).toContain('application/rss+xml');
    const xml = await feed.text();
    expect(xml).toContain('<language>de</language>');
    expect((xml.match(/<item>/g) ?? []).length).toBe(postSlugs().length);
    const image = await fetch(`${web.url}/og/fr/pricing`);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect((await image.arrayBuffer()).byteLength).toBeGreaterThan(5_000);
  });

  it('sends a first visit to the language of Accept-Language, and remembers a chosen one', async () => {
    const detected = await fetch(`${web.url}/pricing`, { headers: { 'accept-language': 'ja-JP,ja;q=0.9,en;q=0.5' }, redirect: 'manual' });
    expect(detected.status).toBeGreaterThanOrEqual(300);
    expect(new URL(detected.headers.get('location')!, web.url).pathname).toBe('/ja/pricing');
    const english = await fetch(`${web.url}/pricing`, { headers: { 'accept-language': 'en-GB,en;q=0.9' }, redirect: 'manual' });
    expect(english.status).toBe(200);

    // Choosing Polish in the header's menu (a plain link: works without JavaScript) sets the cookie.
    await page.goto(`${web.url}/`);
    await page.locator('#language-header summary').click();
    await page.locator('#language-header a[hreflang="pl"]').click();
    await page.waitForURL(`${web.url}/pl`);
    const cookie = (await browser.cookies(web.url)).find((c) => c.name === 'NEXT_LOCALE');
    expect(cookie?.value).toBe('pl');
    await page.goto(`${web.url}/security`);
    expect(new URL(page.url()).pathname).toBe('/pl/security');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('pl');
    await browser.clearCookies({ name: 'NEXT_LOCALE' });
  });

  it('loads at most 120 kB of gzip JavaScript on the landing page in every language, and its menus work without it', async () => {
    for (const locale of locales) {
      const scripts = new Set<string>();
      const onRequest = (r: { resourceType: () => string; url: () => string }) => void (r.resourceType() === 'script' && scripts.add(r.url()));
      page.on('request', onRequest);
      await page.goto(web.url + localizedPath(locale, '/'), { waitUntil: 'load' });
      page.off('request', onRequest);
      let gzipBytes = 0;
      for (const url of scripts) gzipBytes += gzipSync(Buffer.from(await (await fetch(url)).arrayBuffer())).length;
      expect(gzipBytes, `${locale}: ${[...scripts].join(', ')}`).toBeLessThanOrEqual(120 * 1024);
    }

    // The footer's menu on a phone-wide German landing page: choosing Japanese is remembered.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${web.url}/de`);
    await page.locator('#language-footer summary').click();
    await page.locator('#language-footer a[hreflang="ja"]').click();
    await page.waitForURL(`${web.url}/ja`);
    expect((await browser.cookies(web.url)).find((c) => c.name === 'NEXT_LOCALE')?.value).toBe('ja');
    await page.goto(`${web.url}/`);
    expect(new URL(page.url()).pathname).toBe('/ja');
    await browser.clearCookies({ name: 'NEXT_LOCALE' });
    await page.setViewportSize({ width: 1280, height: 720 });

    // From a page that runs the App Router (pricing), its logo link renders the landing page in place.
    await page.goto(`${web.url}/pricing`);
    await page.locator('header a[href="/"]').click();
    await page.waitForURL(`${web.url}/`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    expect(consoleErrors).toEqual([]);
  });

  it('renders the operator from the configuration on the imprint', async () => {
    await page.goto(`${web.url}/de/imprint`);
    const text = await page.locator('main').innerText();
    expect(text).toContain('Example Operator GmbH');
    expect(text).toMatch(/Hauptstraße 1\s+10115 Berlin/);
    await expect(page.locator('a[href="mailto:legal@example.test"]').count()).resolves.toBe(1);
  });

  it('estimates a fine-tune in the pricing calculator with the product estimator, formatted per language', async () => {
    await page.goto(`${web.url}/de/pricing`);
    const form = page.locator('form').filter({ has: page.getByLabel('Epochen', { exact: true }) });
    await form.getByLabel('Beispiele im Datensatz', { exact: true }).fill('12000');
    await form.getByLabel('Trainierte Token pro Beispiel', { exact: true }).fill('400');
    await form.getByLabel('Epochen', { exact: true }).fill('4');
    await form.getByLabel('Größe des Basismodells (Milliarden Parameter)', { exact: true }).fill('7');
    const expected = estimateTrainingCredits({ trainedTokens: 12_000 * 400, epochs: 4, pricePerMillionTokens: DEFAULT_PRICE_BOOK.training.medium });
    const billed = new Intl.NumberFormat('de').format(expected.billedTokens);
    const money = new Intl.NumberFormat('de', { style: 'currency', currency: 'USD' }).format(expected.credits / 100);
    await form.getByText(billed).waitFor();
    expect(await form.innerText()).toContain(money);
    await form.getByLabel('Epochen', { exact: true }).fill('0');
    await form.getByRole('alert').waitFor();
  });

  it('has no serious or critical axe-core violations on landing, pricing and sign-up', async () => {
    for (const path of ['/', '/pricing', '/ja', '/ja/pricing', '/sign-up']) {
      await page.goto(web.url + path);
      const result = await new AxeBuilder({ page } as never).analyze();
      const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${path}: ${v.id} (${v.nodes.length}) ${v.help}`);
      expect(bad).toEqual([]);
    }
  });
});

describe('the dashboard language', () => {
  it('follows Accept-Language, then the cookie, then the stored setting', async () => {
    const lang = async (headers: Record<string, string>) => /<html lang="([a-z]+)"/.exec(await (await fetch(`${web.url}/sign-in`, { headers })).text())?.[1];
    expect(await lang({ 'accept-language': 'nl-NL,nl;q=0.9' })).toBe('nl');
    expect(await lang({ 'accept-language': 'nl-NL,nl;q=0.9', cookie: 'NEXT_LOCALE=it' })).toBe('it');
    expect(await lang({})).toBe('en');

    const u = await createTestUser();
    await callerFor(u).account.setLocale({ locale: 'ja' });
    // The pages visited above left a language cookie; the sign-in page follows it, so sign in as a
    // fresh English visitor would, and let the stored setting take over after.
    await browser.clearCookies();
    await signIn(page, web.url, u.email);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('ja');
    await page.goto(`${web.url}/settings`);
    const select = page.locator('select').filter({ has: page.locator('option[value="ja"]') });
    await expect.poll(() => select.inputValue(), { timeout: 20_000 }).toBe('ja');
    // Choosing another language stores it and reloads the dashboard in it.
    await select.selectOption('de');
    await page.waitForFunction(() => document.documentElement.lang === 'de');
    await expect.poll(() => select.inputValue(), { timeout: 20_000 }).toBe('de');
  });
});
