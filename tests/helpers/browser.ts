// Debian's Chromium driven by playwright-core (browsers cannot be downloaded here).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { TEST_PASSWORD } from './factories';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<{ browser: BrowserContext; close: () => Promise<void> }> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run .ci/run or apt-get install chromium`);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-chromium-'));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Signs in through the sign-in form with the test password and waits for the landing page. */
export async function signIn(page: Page, baseUrl: string, email: string): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/datasets$/);
}

export type { Browser };

/**
 * Resizes the page to `width` and waits until nothing reaches past the right edge: the whole page
 * (`document.documentElement.scrollWidth`), or only the element with `within` as its test id.
 * Charts re-measure through ResizeObserver a frame or more after a resize, so the check waits on
 * animation frames (up to 5 s) before it fails, and the failure names the outermost elements that
 * still overflow. With LATHE_SCREENSHOTS=dir it keeps a full-page picture as `<name>-<width>.png`.
 */
export async function expectFitsWidth(page: Page, width: number, name: string, options: { height?: number; within?: string } = {}): Promise<void> {
  await page.setViewportSize({ width, height: options.height ?? (width > 800 ? 900 : 844) });
  // Plain source text, so that no transpiler helper (such as __name) leaks into the page.
  const measure = `(() => {
    const within = ${JSON.stringify(options.within ?? null)};
    const viewport = document.documentElement.clientWidth;
    const element = within ? document.querySelector('[data-testid="' + within + '"]') : null;
    const excess = element ? element.getBoundingClientRect().right - viewport : document.documentElement.scrollWidth - viewport;
    const culprits = excess <= 0 ? [] : [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > viewport + 0.5 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > viewport + 0.5))
      .slice(0, 5)
      .map((el) => '<' + el.tagName.toLowerCase() + ' class="' + String(el.getAttribute('class') ?? '').slice(0, 80) + '"> right=' + Math.round(el.getBoundingClientRect().right));
    return { excess: Math.round(excess), culprits };
  })()`;
  await page.waitForFunction(`${measure}.excess <= 0`, null, { timeout: 5_000, polling: 'raf' }).catch(() => undefined);
  if (process.env.LATHE_SCREENSHOTS) {
    fs.mkdirSync(process.env.LATHE_SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(process.env.LATHE_SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
  }
  const { excess, culprits } = (await page.evaluate(measure)) as { excess: number; culprits: string[] };
  if (excess > 0) throw new Error(`${name} at ${width} px reaches ${excess} px past the viewport: ${culprits.join(' ')}`);
}

/**
 * What a failed browser test should print besides its own error: the page's address, whether it is
 * visible, and whether it still renders frames (an action waits on animation frames, so a page that
 * stopped producing them makes every click time out, whatever the product does).
 */
export async function pageDiagnosis(page: Page): Promise<string> {
  const probe = `new Promise((resolve) => {
    const timer = setTimeout(() => resolve('no animation frame within 2 s'), 2000);
    requestAnimationFrame(() => { clearTimeout(timer); resolve('animation frames run'); });
  }).then((frames) => 'visibility ' + document.visibilityState + ', ' + frames)`;
  const state = await Promise.race([
    page.evaluate(probe) as Promise<string>,
    new Promise<string>((resolve) => setTimeout(() => resolve('the page did not answer within 5 s'), 5000).unref()),
  ]).catch((error: unknown) => `the page could not be asked: ${String(error)}`);
  return `page ${page.url()}: ${state}`;
}
