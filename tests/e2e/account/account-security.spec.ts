// Over real HTTP and in the browser: the admin token never takes over an account that holds the
// administrator's address, a password change ends the other sessions while the browser that made
// it stays in, and a sign-up verifies its address through the mailed link. Its own database,
// because a non-admin holding admin@lathe.local would break other files' admin sign-ins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { useOwnDatabase } from '@/tests/helpers/own-database';
import { startWeb } from '@/tests/helpers/web';
import { launchBrowser } from '@/tests/helpers/browser';
import { createTestUser, TEST_PASSWORD } from '@/tests/helpers/factories';
import { getDb } from '@/server/db';
import { readOutbox } from '@/server/services/mail/send-mail';
import type { Platform } from '@/scripts/lib/supervisor';

useOwnDatabase();

const ADMIN_TOKEN = 'admin-token-for-session-tests-0123';
let web: Platform;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;

beforeAll(async () => {
  web = await startWeb({ ADMIN_TOKEN, EMAIL_VERIFICATION: 'on' });
  ({ browser, close: closeBrowser } = await launchBrowser());
});
afterAll(async () => {
  await closeBrowser?.();
  await web?.stop();
});

const sessionCookie = (res: Response) => res.headers.getSetCookie().find((c) => c.startsWith('next-auth.session-token='))?.split(';')[0];

async function signIn(email: string, password: string) {
  const csrf = await fetch(`${web.url}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const res = await fetch(`${web.url}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrf.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') },
    body: new URLSearchParams({ csrfToken, email, password, json: 'true' }),
  });
  const cookie = sessionCookie(res);
  if (!cookie) throw new Error(`sign-in failed with ${res.status}`);
  return cookie;
}

const me = (cookie: string) => fetch(`${web.url}/api/trpc/account.me`, { headers: { cookie } });
const postToken = () => fetch(`${web.url}/api/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ADMIN_TOKEN }) });

describe('accounts over HTTP', () => {
  it('the admin token never promotes an existing non-admin holder of the admin address', async () => {
    // How a sign-up of the address looked before it was reserved.
    const squatter = await getDb().user.create({ data: { email: 'admin@lathe.local', name: 'Not the operator', passwordHash: null } });
    const refused = await postToken();
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: string }).error).toMatch(/admin@lathe\.local/);
    expect(sessionCookie(refused)).toBeUndefined();
    expect((await getDb().user.findUniqueOrThrow({ where: { id: squatter.id } })).role).toBe('USER');

    await getDb().user.delete({ where: { id: squatter.id } });
    const created = await postToken();
    expect(created.status).toBe(200);
    expect((await getDb().user.findUniqueOrThrow({ where: { email: 'admin@lathe.local' } })).role).toBe('ADMIN');
  });

  it('changing the password keeps the session that changed it and ends the other one', async () => {
    const u = await createTestUser();
    const here = await signIn(u.email, TEST_PASSWORD);
    const elsewhere = await signIn(u.email, TEST_PASSWORD);
    expect((await me(elsewhere)).status).toBe(200);

    const changed = await fetch(`${web.url}/api/trpc/account.changePassword`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: here },
      body: JSON.stringify({ json: { currentPassword: TEST_PASSWORD, newPassword: 'next-Good-pass-22' } }),
    });
    expect(changed.status).toBe(200);
    const renewed = sessionCookie(changed)!;
    expect((await me(renewed)).status).toBe(200);
    expect((await me(elsewhere)).status).toBe(401);
    expect((await me(here)).status).toBe(401);
  });

  it('a sign-up is asked to verify its address and the mailed link verifies it', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    const email = `verify-e2e-${Date.now()}@example.test`;
    await page.goto(`${web.url}/sign-up`);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel(/^Password/).fill('e2e-Good-passphrase-9');
    await page.getByLabel('Confirm password').fill('e2e-Good-passphrase-9');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/datasets$/);

    await page.goto(`${web.url}/settings`);
    await page.getByText('Your e-mail address is not verified').waitFor();
    const token = /verify-email\/([\w-]+)/.exec(readOutbox(email)[0]!.text)![1]!;
    await page.goto(`${web.url}/verify-email/${token}`);
    await page.getByRole('button', { name: 'Verify my address' }).click();
    await page.getByText('Your e-mail address is verified.').waitFor();
    expect((await getDb().user.findUniqueOrThrow({ where: { email } })).emailVerified).toBeInstanceOf(Date);

    await page.goto(`${web.url}/settings`);
    await page.getByText(email).first().waitFor();
    expect(await page.getByText('Your e-mail address is not verified').count()).toBe(0);
    await page.close();
  });
});
