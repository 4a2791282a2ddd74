// In the browser: sign up (with the form's errors first), create and revoke an API key, invite a
// member, sign out, and sign in again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '@/tests/helpers/browser';
import { startWeb } from '@/tests/helpers/web';
import { createTestUser } from '@/tests/helpers/factories';
import type { Platform } from '@/scripts/lib/supervisor';

let web: Platform;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;

const email = `e2e-${Date.now()}@example.test`;
const password = 'e2e-Good-passphrase-9';

beforeAll(async () => {
  web = await startWeb();
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  page.setDefaultTimeout(20_000);
});

afterAll(async () => {
  await closeBrowser?.();
  await web?.stop();
});

async function fillSignUp(p: Page, values: { email: string; password: string; confirm?: string }) {
  await p.getByLabel('Name').fill('E2E Person');
  await p.getByLabel('E-mail').fill(values.email);
  await p.getByLabel(/^Password/).fill(values.password);
  await p.getByLabel('Confirm password').fill(values.confirm ?? values.password);
  await p.getByRole('button', { name: 'Create account' }).click();
}

describe('account flow in the browser', () => {
  it('shows clear errors for a weak password and a taken e-mail', async () => {
    const taken = await createTestUser();
    await page.goto(`${web.url}/sign-up`);
    await fillSignUp(page, { email, password: 'short' });
    await page.getByText('Use at least 10 characters.').waitFor();
    await fillSignUp(page, { email: taken.email, password });
    await page.getByText('An account with this e-mail already exists').waitFor();
    await fillSignUp(page, { email, password, confirm: `${password}x` });
    await page.getByText('The passwords do not match.').waitFor();
  });

  it('signs up and lands in the dashboard', async () => {
    await fillSignUp(page, { email, password });
    await page.waitForURL(/\/datasets$/);
    await page.getByRole('heading', { name: 'Datasets', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'API keys' }).first().waitFor();
  });

  it('creates an API key that /v1 accepts, then revokes it', async () => {
    await page.goto(`${web.url}/api-keys`);
    await page.getByText('No API keys yet').waitFor();
    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.getByLabel('Name').fill('browser-key');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-api-key').textContent())!.trim();
    expect(key).toMatch(/^lk-/);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByRole('cell', { name: 'browser-key' }).waitFor();

    const ok = await fetch(`${web.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    expect(ok.status).toBe(200);

    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('Revoked', { exact: true }).waitFor();
    const refused = await fetch(`${web.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    expect(refused.status).toBe(401);
    expect((await refused.json()).error.code).toBe('invalid_api_key');
  });

  it('invites a member by e-mail', async () => {
    await page.goto(`${web.url}/settings/members`);
    const invitee = `invitee-${Date.now()}@example.test`;
    await page.getByLabel('E-mail').fill(invitee);
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByTestId('pending-invitation').getByText(invitee).waitFor();
  });

  it('signs out, refuses a wrong password, and signs in again', async () => {
    await page.getByRole('button', { name: 'Account menu' }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    await page.goto(`${web.url}/datasets`);
    await page.waitForURL(/\/sign-in\?callbackUrl=/);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill('not-the-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong e-mail or password.').waitFor();
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/datasets$/);
  });
});
