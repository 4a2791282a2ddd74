// The usage & billing page in Chromium against the real web process and the Stripe stand-in:
// buy a pack, follow the redirect to the stand-in's Checkout, come back to a page that says the
// payment is being confirmed, and see the balance change without a reload once the webhook lands.
// Then the admin area: no link and a 404 for a non-admin; the billing dashboard for an admin.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { DEFAULT_PRICE_BOOK, packCredits } from '@/lib/universal/price-book';
import { expectFitsWidth, launchBrowser, signIn } from '@/tests/helpers/browser';
import { startWeb } from '@/tests/helpers/web';
import { createTestUser } from '@/tests/helpers/factories';
import { getDb } from '@/server/db';
import { chargeUsage } from '@/server/services/credits/ledger';
import { startStripeStandIn, type StripeStandIn } from '@/tests/kit/stripe-server';
import type { Platform } from '@/scripts/lib/supervisor';

let web: Platform;
let stand: StripeStandIn;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  stand = await startStripeStandIn({ webhookSecret: `whsec_${randomBytes(12).toString('hex')}` });
  web = await startWeb({ ...stand.env, LATHE_OPERATOR_CONTACT: 'credits@example.test' });
  stand.setWebhookUrl(`${web.url}/api/stripe/webhook`);
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
});

afterAll(async () => {
  await closeBrowser?.();
  await web?.stop();
  await stand?.close();
});

async function noOverflow(width: number, name: string) {
  await expectFitsWidth(page, width, name, { height: 900 });
}

describe('usage & billing in the browser', () => {
  it('buys a pack through Checkout and shows the new balance without a reload', async () => {
    const user = await createTestUser();
    const pack = DEFAULT_PRICE_BOOK.packs[0]!;
    await signIn(page, web.url, user.email);
    await page.goto(`${web.url}/usage`);
    await page.getByRole('heading', { name: 'Buy credits' }).waitFor();
    expect(await page.getByTestId('billing-balance').textContent()).toBe('0');
    await noOverflow(1440, 'usage');
    await noOverflow(390, 'usage');
    await page.setViewportSize({ width: 1440, height: 900 });

    stand.holdCheckoutWebhooks(true);
    await page.getByRole('button', { name: `Buy ${pack.id}` }).click();
    await page.waitForURL(new RegExp(`^${stand.url}/checkout/`));
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.waitForURL(/\/usage\/checkout\?session_id=cs_test_/);
    await page.getByTestId('checkout-confirming').waitFor();
    const before = await page.evaluate(() => performance.getEntriesByType('navigation').length + ':' + performance.timeOrigin);

    const [delivered] = await stand.releaseHeld();
    expect(delivered!.status).toBe(200);
    await page.getByTestId('checkout-credited').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.getByTestId('checkout-balance').textContent(), { timeout: 20_000 }).toBe(new Intl.NumberFormat('en').format(packCredits(pack)));
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length + ':' + performance.timeOrigin)).toBe(before);
    await noOverflow(390, 'checkout');

    await page.goto(`${web.url}/usage`);
    await page.getByRole('heading', { name: 'Invoices' }).first().waitFor();
    await page.getByRole('cell', { name: 'LATHE-1' }).first().waitFor();
    await page.getByRole('heading', { name: 'Statement' }).waitFor();
    await page.getByText(`purchased pack ${pack.id}`).first().waitFor();
  });

  it('shows the hours a deployment was charged for on the usage charts and in the statement', async () => {
    consoleErrors.splice(0);
    const user = await createTestUser();
    const db = getDb();
    const model = await db.baseModel.create({ data: { organizationId: user.organization.id, projectId: user.project.id, name: `hourly-ui-${randomBytes(3).toString('hex')}`, source: 'GGUF', status: 'READY', parameters: 70_000_000_000n } });
    const deployment = await db.deployment.create({ data: { baseModelId: model.id, status: 'STOPPED' } });
    // The entries the worker's hourly sample writes (server/services/credits/charge-deployment-hours.ts),
    // written here through the same ledger call so that this file does not change the shared price book.
    for (const hour of ['05', '06']) {
      await chargeUsage({ db, organizationId: user.organization.id, amount: 12, idempotencyKey: `deployment-hour:${deployment.id}:${hour}`, deploymentId: deployment.id, memo: `deployment of ${model.name}, hour from 2026-12-07 ${hour}:00 UTC` });
    }
    await signIn(page, web.url, user.email);
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${web.url}/usage`);
    await page.getByText(`deployment: ${model.name}`).first().waitFor();
    await page.getByText(`deployment of ${model.name}, hour from 2026-12-07 06:00 UTC`).first().waitFor();
    await noOverflow(1440, 'usage-deployment-hours');
    await noOverflow(390, 'usage-deployment-hours');
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  });

  it('keeps the admin area out of sight and out of reach for others, and shows the billing dashboard to admins', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    const user = await createTestUser();
    await signIn(page, web.url, user.email);
    expect(await page.getByRole('link', { name: 'Admin', exact: true }).count()).toBe(0);
    const refused = await page.goto(`${web.url}/admin`);
    expect(refused!.status()).toBe(404);
    // The browser reports that 404 as a console error; it is the one this test asked for.
    consoleErrors.splice(0);

    const admin = await createTestUser({ admin: true });
    await signIn(page, web.url, admin.email);
    await page.getByRole('link', { name: 'Admin', exact: true }).filter({ visible: true }).first().click();
    await page.waitForURL(/\/admin$/);
    await page.getByTestId('admin-billing').waitFor();
    await page.getByRole('heading', { name: 'Billing' }).waitFor();
    await page.getByLabel('E-mail, name, slug or id').fill(user.email);
    await page.getByRole('button', { name: 'Find users and organizations' }).click();
    await page.getByText(user.email).first().waitFor();
    await page.getByTestId(`admin-org-${user.organization.id}`).waitFor();
    await noOverflow(1440, 'admin');
    await noOverflow(390, 'admin');
    expect(consoleErrors).toEqual([]);
  });
});
