// The import dialog where the Hub gives no answer and no import root is configured: the Hub
// outage is said in the dialog and holds the Import button, and the "Server path" tab shows only
// to a platform administrator, by the server's own rule (mayImportServerPaths).
import { createServer } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '@/scripts/lib/supervisor';
import { expectFitsWidth, launchBrowser, signIn } from '@/tests/helpers/browser';
import { createTestUser, type TestUser } from '@/tests/helpers/factories';
import { startWeb } from '@/tests/helpers/web';

let web: Platform;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
let owner: TestUser;
let admin: TestUser;
const consoleErrors: string[] = [];

/** A local port nothing listens on: connections to it are refused at once, as to a Hub that is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  owner = await createTestUser();
  admin = await createTestUser({ admin: true });
  web = await startWeb({ HF_ENDPOINT: `http://127.0.0.1:${await closedPort()}`, LATHE_IMPORT_ROOT: '' });
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  page.on('console', (message) => {
    // The Hub look-ups answer 503 on purpose here; the browser logs each failed request.
    if (message.type() === 'error' && !/status of 503/.test(message.text())) consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
}, 300_000);

afterAll(async () => {
  await closeBrowser?.();
  await web?.stop();
});

describe('the import dialog without the Hub and without an import root', () => {
  it('says the Hub cannot be reached and holds the Import button, which names the reason', async () => {
    await signIn(page, web.url, owner.email);
    await page.goto(`${web.url}/models`);
    await page.getByRole('button', { name: 'Import model' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Repository').fill('lathe/tiny-chat');
    await dialog.getByText('Search is unavailable while the Hub cannot be reached.').waitFor();
    const outage = dialog.getByTestId('hub-unreachable');
    await outage.getByText('The Hugging Face Hub cannot be reached').waitFor();
    const submit = dialog.getByRole('button', { name: 'Import unavailable: the Hub cannot be reached' });
    expect(await submit.isDisabled()).toBe(true);
    expect(await submit.getAttribute('aria-describedby')).toBe(await outage.getAttribute('id'));
    // Escape closes the results, not the dialog; the repo's files are then read, which fails the same way: still held.
    await dialog.getByLabel('Repository').press('Escape');
    await expect.poll(() => dialog.getByText('Search is unavailable while the Hub cannot be reached.').count()).toBe(0);
    await outage.waitFor();
    expect(await dialog.getByRole('button', { name: 'Import unavailable: the Hub cannot be reached' }).isDisabled()).toBe(true);
    await outage.getByRole('button', { name: 'Check again' }).click();
    await outage.waitFor();
    await expectFitsWidth(page, 1440, 'models-import-hub-down');
    await expectFitsWidth(page, 390, 'models-import-hub-down');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('shows no "Server path" tab to an organization owner when no import root is configured', async () => {
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Repository').waitFor();
    expect(await dialog.getByRole('tab', { name: 'Server path' }).count()).toBe(0);
    expect(await dialog.getByLabel('Path on the server').count()).toBe(0);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('shows the "Server path" tab to a platform administrator, who may import from anywhere', async () => {
    await browser.clearCookies();
    await signIn(page, web.url, admin.email);
    await page.goto(`${web.url}/models`);
    await page.getByRole('button', { name: 'Import model' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('tab', { name: 'Server path' }).click();
    await dialog.getByLabel('Path on the server').waitFor();
  });

  it('raised no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
