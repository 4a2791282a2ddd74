// Public site benchmark: the landing page, the pricing page and a documentation page of the
// production build (`next build`, served by the real web process), each loaded in Chromium cold
// (a fresh browser context: empty cache, no connection) and warm (the same context again).
//   npm run bench:site
//   npm run bench:site -- --runs 5 --queries checkpoint,alias
//
// For each page: time to first byte and largest contentful paint from the Performance API
// (median of the runs), the JavaScript the cold load transferred (encoded body bytes as served)
// and the same scripts gzip-compressed here (level 6), which does not depend on whether a proxy
// compresses. Then the docs search in the dialog, as a reader types (benchSearch). A page the build does not have
// (pricing on some branches) is reported as null. The last line printed is one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startPlatform } from '../lib/supervisor';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    queries: { type: 'string', default: 'checkpoint,alias,credits' },
    searches: { type: 'string', default: '20' },
  },
});
const RUNS = Number(args.runs);
const PAGES = { landing: '/', pricing: '/pricing', docs: '/docs/quick-start' } as const;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

type Load = { ttfbMs: number; lcpMs: number | null; jsTransferredBytes: number; scripts: string[] };
type PageFigures = {
  cold: { ttfbMs: number; lcpMs: number | null };
  warm: { ttfbMs: number; lcpMs: number | null };
  jsTransferredKB: number;
  jsGzipKB: number;
} | null;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round = (n: number) => Math.round(n * 10) / 10;

async function measure(page: Page, url: string): Promise<Load | null> {
  const response = await page.goto(url, { waitUntil: 'load' });
  if (!response || response.status() === 404) return null;
  if (!response.ok()) throw new Error(`${url} answered ${response.status()}`);
  // A string, not a function: the bundler that runs this script would wrap named functions in a
  // helper the page does not have.
  return page.evaluate(`new Promise((resolve) => {
    let lcp = null;
    new PerformanceObserver((list) => { for (const entry of list.getEntries()) lcp = entry.startTime; })
      .observe({ type: 'largest-contentful-paint', buffered: true });
    const started = performance.now();
    // LCP entries are queued as frames paint: wait for the first one (up to 5 s), then two frames more.
    const settle = () => requestAnimationFrame(() => requestAnimationFrame(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const scripts = performance.getEntriesByType('resource').filter((r) => r.initiatorType === 'script' || /\\.m?js(\\?|$)/.test(r.name));
      resolve({
        ttfbMs: nav.responseStart - nav.startTime,
        lcpMs: lcp,
        jsTransferredBytes: scripts.reduce((sum, r) => sum + r.encodedBodySize, 0),
        scripts: scripts.map((r) => r.name),
      });
    }));
    const wait = () => (lcp !== null || performance.now() - started > 5000 ? settle() : requestAnimationFrame(wait));
    wait();
  })`) as Promise<Load>;
}

async function gzipBytes(urls: string[]): Promise<number> {
  let total = 0;
  for (const url of new Set(urls)) {
    const body = Buffer.from(await (await fetch(url, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer());
    total += gzipSync(body, { level: 6 }).length;
  }
  return total;
}

async function benchPage(browser: Browser, url: string): Promise<PageFigures> {
  const cold: Load[] = [];
  const warm: Load[] = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const first = await measure(page, url);
    if (!first) {
      await context.close();
      return null;
    }
    cold.push(first);
    warm.push((await measure(page, url))!);
    await context.close();
  }
  const lcp = (loads: Load[]) => (loads.every((l) => l.lcpMs !== null) ? round(median(loads.map((l) => l.lcpMs!))) : null);
  return {
    cold: { ttfbMs: round(median(cold.map((l) => l.ttfbMs))), lcpMs: lcp(cold) },
    warm: { ttfbMs: round(median(warm.map((l) => l.ttfbMs))), lcpMs: lcp(warm) },
    jsTransferredKB: round(median(cold.map((l) => l.jsTransferredBytes)) / 1024),
    jsGzipKB: round((await gzipBytes(cold[0]!.scripts)) / 1024),
  };
}

/**
 * The search as a reader meets it: in the dialog of a docs page, the time from a query's input
 * event to its first matching result in the DOM (the index query in the browser plus React's
 * render). The first query also downloads the index and is reported on its own.
 */
async function benchSearch(browser: Browser, origin: string, queries: string[], times: number) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${origin}/docs`, { waitUntil: 'load' });
  const dialog = page.getByRole('dialog');
  for (let i = 0; i < 100 && !(await dialog.isVisible()); i++) {
    // The trigger answers once the page has hydrated; once the dialog opens, its overlay takes clicks.
    await page.locator('button[data-search-full]').first().click({ timeout: 1000 }).catch(() => undefined);
    await dialog.waitFor({ state: 'visible', timeout: 500 }).catch(() => undefined);
  }
  if (!(await dialog.isVisible())) throw new Error('the search dialog did not open');
  // A string, not a function: see measure().
  const result = (await page.evaluate(`(async () => {
    const dialog = document.querySelector('[role=dialog]');
    const input = dialog.querySelector('input');
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    const matches = (q) => [...dialog.querySelectorAll('a, button')].filter((e) => e.textContent.toLowerCase().includes(q)).length;
    const type = (q, done) => new Promise((resolve, reject) => {
      const started = performance.now();
      const timer = setTimeout(() => { observer.disconnect(); reject(new Error('no result for ' + q)); }, 30000);
      const observer = new MutationObserver(() => {
        const n = matches(q);
        if (done(n)) { clearTimeout(timer); observer.disconnect(); resolve({ ms: performance.now() - started, count: n }); }
      });
      observer.observe(dialog, { subtree: true, childList: true, characterData: true });
      setValue.call(input, q);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    // Between queries the box is emptied and the old results leave, so no result of the previous
    // query can count for the next one.
    const clear = async (next) => {
      setValue.call(input, '');
      input.dispatchEvent(new Event('input', { bubbles: true }));
      const started = performance.now();
      while (matches(next) > 0 && performance.now() - started < 5000) await new Promise((r) => requestAnimationFrame(r));
    };
    const queries = ${JSON.stringify(queries)};
    const first = await type(queries[0], (n) => n > 0);
    const runs = [];
    for (let i = 0; i < ${times}; i++) {
      const q = queries[(i + 1) % queries.length];
      await clear(q);
      runs.push((await type(q, (n) => n > 0)).ms);
    }
    return { first, runs };
  })()`)) as { first: { ms: number; count: number }; runs: number[] };
  // The same queries through the server's query API, timed from the page: the engine plus a
  // local round trip, without the dialog's rendering.
  const api = (await page.evaluate(`(async () => {
    const queries = ${JSON.stringify(queries)};
    const runs = [];
    for (let i = 0; i <= ${times}; i++) {
      const started = performance.now();
      await (await fetch('/api/search?query=' + encodeURIComponent(queries[i % queries.length]))).json();
      if (i > 0) runs.push(performance.now() - started);
    }
    return runs;
  })()`)) as number[];
  await context.close();
  const p95 = (values: number[]) => round([...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * 0.95))]!);
  return {
    queries,
    firstMs: round(result.first.ms),
    medianMs: round(median(result.runs)),
    p95Ms: p95(result.runs),
    apiMedianMs: round(median(api)),
    apiP95Ms: p95(api),
  };
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-bench-site-'));
const logs: string[] = [];
const platform = await startPlatform({ processes: ['web'], port: 0, dataDir, env: { LOG_LEVEL: 'warn', DATABASE_URL: process.env.DATABASE_URL }, log: (l) => logs.push(l) }).catch((error) => {
  console.error(logs.slice(-30).join('\n'));
  throw error;
});
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
try {
  const pages: Record<string, PageFigures> = {};
  for (const [name, url] of Object.entries(PAGES)) {
    pages[name] = await benchPage(browser, `${platform.url}${url}`);
    console.error(`${name}: ${JSON.stringify(pages[name])}`);
  }
  const search = await benchSearch(browser, platform.url, args.queries!.split(','), Number(args.searches));
  const landing = pages.landing;
  console.log(
    JSON.stringify({
      bench: 'site',
      at: new Date().toISOString(),
      machine: `${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}`,
      runs: RUNS,
      pages,
      search,
      targets: {
        landingColdLcpMs: { target: 1000, value: landing?.cold.lcpMs ?? null, met: landing?.cold.lcpMs != null && landing.cold.lcpMs <= 1000 },
        landingJsGzipKB: { target: 120, value: landing?.jsGzipKB ?? null, met: landing != null && landing.jsGzipKB <= 120 },
        searchMs: { target: 50, value: search.medianMs, met: search.medianMs <= 50 },
      },
    }),
  );
} finally {
  await browser.close();
  await platform.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
