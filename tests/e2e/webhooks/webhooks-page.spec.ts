// The Webhooks page in the browser, with the real web and worker processes: add an endpoint by
// keyboard and form, copy its secret from the one-time dialog, send a test event, see it arrive
// at a local receiver that verifies it with the reference `standardwebhooks` package, and see the
// try in the delivery log. Screenshots at 1440 and 390 px, without horizontal overflow.
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, type Platform } from '@/scripts/lib/supervisor';
import { expectFitsWidth, launchBrowser, signIn } from '@/tests/helpers/browser';
import { createTestUser, type TestUser } from '@/tests/helpers/factories';
import { useOwnDatabase } from '@/tests/helpers/own-database';
import { startWebhookReceiver, type WebhookReceiver } from '@/tests/kit/webhook-receiver';

let platform: Platform;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
let owner: TestUser;
let receiver: WebhookReceiver;
const logs: string[] = [];
const SHOTS = path.resolve('.lathe-test/screenshots/webhooks');

useOwnDatabase();

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  try {
    platform = await startPlatform({ processes: ['web', 'worker'], env: { LOG_LEVEL: 'warn', LATHE_WEBHOOK_ALLOW_PRIVATE: '1', LATHE_WEBHOOK_RETRY_BASE_MS: '500' }, log: (l) => logs.push(l) });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${logs.slice(-40).join('\n')}`);
  }
  owner = await createTestUser();
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  fs.mkdirSync(SHOTS, { recursive: true });
}, 300_000);

afterAll(async () => {
  await closeBrowser?.();
  await platform?.stop();
  await receiver?.close();
});

async function shoot(name: string) {
  for (const width of [1440, 390]) {
    await expectFitsWidth(page, width, name, { height: 900 });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

describe('Webhooks page', () => {
  it('starts empty, saying what to do, and is in the navigation', async () => {
    await signIn(page, platform.url, owner.email);
    await page.getByRole('link', { name: 'Webhooks' }).first().click();
    await page.waitForURL(/\/webhooks$/);
    await page.getByRole('heading', { name: 'No webhook endpoints yet' }).waitFor();
    await shoot('empty');
  });

  it('refuses a bad URL with a sentence, then adds an endpoint and shows its secret once', async () => {
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Endpoint URL').fill('ftp://example.com/hooks');
    await dialog.getByLabel('Endpoint URL').press('Enter');
    // The browser's own URL check passes ftp://; the server's sentence is shown.
    await dialog.getByRole('alert').getByText(/must start with http:\/\/ or https:\/\//).waitFor();
    await dialog.getByLabel('Endpoint URL').fill(receiver.url('/browser'));
    await dialog.getByLabel('Description').fill('Receiver for the browser test');
    const datasetEvent = dialog.getByRole('checkbox', { name: /A dataset passed validation/ });
    await datasetEvent.click();
    expect(await datasetEvent.getAttribute('aria-checked')).toBe('true');
    await shoot('create-dialog');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = (await page.getByTestId('webhook-secret').textContent())!.trim();
    expect(secret).toMatch(/^whsec_/);
    receiver.setSecrets('/browser', [secret]);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByTestId('webhook-endpoint-row').getByText(receiver.url('/browser')).waitFor();
    await shoot('list');
  });

  it('sends a test event that the receiver verifies, and shows the try in the delivery log', async () => {
    await page.getByRole('link', { name: 'Details and delivery log' }).click();
    await page.getByRole('heading', { name: 'Delivery log' }).waitFor();
    await page.getByText('Nothing delivered yet.', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Send test event' }).click();
    const [received] = await receiver.waitFor('/browser', 1);
    expect(received!.body).toMatchObject({ object: 'event', type: 'webhook.test' });
    expect(receiver.rejected('/browser')).toBe(0);
    const delivery = page.getByTestId('webhook-delivery').first();
    await delivery.getByText('Delivered').waitFor();
    await delivery.getByText(received!.id, { exact: true }).waitFor();
    await delivery.getByTestId('webhook-try').getByText('HTTP 200', { exact: true }).waitFor();
    await delivery.getByText('Show request and response').click();
    await delivery.getByText(`webhook-id: ${received!.id}`).waitFor();
    await shoot('detail');
  });

  it('disables and enables the endpoint from the keyboard', async () => {
    const disable = page.getByRole('button', { name: 'Disable' });
    await disable.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Enable' }).waitFor();
    await expect(page.getByRole('button', { name: 'Send test event' }).isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('button', { name: 'Disable' }).waitFor();
  });
});
