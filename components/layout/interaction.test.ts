// The shell and its interactive parts driven in headless Chromium: keyboard, focus, dialogs and
// the clipboard, which server rendering cannot show. Needs Debian's chromium (apt-get install
// chromium) at /usr/bin/chromium or at LATHE_CHROMIUM.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import postcss from 'postcss';
import tailwind from '@tailwindcss/postcss';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const chromiumPath = process.env.LATHE_CHROMIUM ?? '/usr/bin/chromium';

const harness = `
import * as React from 'react';
import { createRoot } from 'react-dom/client';
import { NextIntlClientProvider } from 'next-intl';
import ui from '@/messages/en/ui.json';
import { AppShell } from '@/components/layout/app-shell';
import { ProjectSwitcher } from '@/components/layout/project-switcher';
import { UserMenu } from '@/components/layout/user-menu';
import { ConfirmDialog } from '@/components/common/confirm-dialog';
import { CopyButton } from '@/components/common/copy-button';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { Button } from '@/components/ui/button';
import { Toaster } from '@/components/ui/sonner';

const w = window as any;
w.events = [];
function confirmWork() {
  w.events.push('confirm');
  return new Promise<void>((resolve, reject) => {
    w.settle = (ok: boolean) => (ok ? resolve() : reject(new Error('refused')));
  });
}

createRoot(document.getElementById('root')!).render(
  <NextIntlClientProvider locale="en" messages={{ ui }} timeZone="UTC"
    onError={(error) => w.events.push('intl-error:' + error.message)}>
    <AppShell
      navItems={[{ href: '#datasets', label: 'Datasets' }, { href: '#jobs', label: 'Jobs', active: true }]}
      projectSwitcher={
        <ProjectSwitcher
          projects={[
            { id: 'p1', name: 'Support bot', orgName: 'Acme' },
            { id: 'p2', name: 'Summariser', orgName: 'Acme' },
            { id: 'p3', name: 'Classifier', orgName: 'Globex' },
          ]}
          currentProjectId="p1"
          onSelect={(id) => w.events.push('select:' + id)}
          onCreate={() => w.events.push('create')}
        />
      }
      userMenu={<UserMenu name="Ada Lovelace" email="ada@acme.test" onSignOut={() => w.events.push('sign-out')} />}
    >
      <FormField label="Suffix" description="Appended to the model name." error="Use lowercase letters." required>
        <Input />
      </FormField>
      <CopyButton value="ftjob-8f2a" />
      <ConfirmDialog
        trigger={<Button variant="destructive">Delete model</Button>}
        title="Delete this model?"
        description="This cannot be undone."
        confirmLabel="Delete"
        onConfirm={confirmWork}
      />
    </AppShell>
    <Toaster />
  </NextIntlClientProvider>,
);
`;

let browser: Browser;
let server: http.Server;
let origin: string;

beforeAll(async () => {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: apt-get install -y chromium, or set LATHE_CHROMIUM`);
  }
  const bundle = await build({
    stdin: { contents: harness, loader: 'tsx', resolveDir: root, sourcefile: 'harness.tsx' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    jsx: 'automatic',
    tsconfig: path.join(root, 'tsconfig.json'),
    banner: { js: 'var process = { env: { NODE_ENV: "development" } };' },
    logLevel: 'silent',
  });
  const cssPath = path.join(root, 'app/globals.css');
  const css = await postcss([tailwind({ base: root })]).process(fs.readFileSync(cssPath, 'utf8'), {
    from: cssPath,
  });
  const script = bundle.outputFiles[0]!.text.replaceAll('</script', '<\\/script');
  const html = `<!doctype html><html><head><style>${css.css}</style></head><body><div id="root"></div><script>${script}</script></body></html>`;
  // Served from 127.0.0.1, a secure context, so the Clipboard API exists as it does over https.
  server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
});

let page: Page;

async function open(viewport = { width: 1280, height: 800 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  page = await context.newPage();
  await page.goto(origin);
  await page.getByRole('main').waitFor();
  return page;
}

const events = () => page.evaluate(() => (window as unknown as { events: string[] }).events);

beforeEach(async () => {
  await page?.context().close();
});

describe('AppShell in a browser', () => {
  it('offers a skip link as the first tab stop that moves focus to the main content', async () => {
    await open();
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    await expect.poll(() => skip.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await skip.isVisible()).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('main-content');
    expect(await events()).toEqual([]);
  });

  it('hides the sidebar on a phone and opens it in a sheet that closes when a link is followed', async () => {
    await open({ width: 390, height: 800 });
    expect(await page.locator('aside').isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Open navigation' }).click();
    const sheet = page.getByRole('dialog', { name: 'Navigation' });
    await sheet.waitFor();
    await sheet.getByRole('link', { name: 'Datasets' }).click();
    await sheet.waitFor({ state: 'detached' });
    expect(page.url()).toBe(`${origin}/#datasets`);
  });

  it('marks the current page in the sidebar', async () => {
    await open();
    const nav = page.locator('aside').getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'Jobs' }).getAttribute('aria-current')).toBe('page');
  });
});

describe('ProjectSwitcher and UserMenu', () => {
  it('switch projects from the keyboard', async () => {
    await open();
    const trigger = page
      .locator('aside')
      .getByRole('button', { name: /^Switch project, current: Support bot/ });
    await trigger.focus();
    await page.keyboard.press('Enter');
    const menu = page.getByRole('menu');
    await menu.waitFor();
    expect(await menu.getByRole('menuitemradio', { name: 'Support bot' }).getAttribute('aria-checked')).toBe('true');
    await menu.getByRole('menuitemradio', { name: 'Classifier' }).focus();
    await page.keyboard.press('Enter');
    await menu.waitFor({ state: 'detached' });
    expect(await events()).toEqual(['select:p3']);
  });

  it('signs out from the user menu', async () => {
    await open();
    await page.getByRole('button', { name: 'Account menu' }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    expect(await events()).toEqual(['sign-out']);
  });
});

describe('FormField in a browser', () => {
  it('is found by its label and announces its description and error', async () => {
    await open();
    const input = page.getByLabel('Suffix');
    await input.click();
    await page.keyboard.type('support-bot');
    expect(await input.inputValue()).toBe('support-bot');
    const description = await input.evaluate((el) =>
      (el.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent)
        .join(' | '),
    );
    expect(description).toBe('Appended to the model name. | Use lowercase letters.');
    expect(await input.getAttribute('aria-invalid')).toBe('true');
  });
});

describe('CopyButton in a browser', () => {
  it('copies through the Clipboard API and shows a check', async () => {
    await open();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    const button = page.getByRole('button', { name: 'Copy to clipboard' });
    await button.click();
    await expect.poll(() => button.getAttribute('data-copied')).toBe('true');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('ftjob-8f2a');
    expect(await page.getByRole('status').filter({ hasText: 'Copied to clipboard' }).count()).toBe(1);
  });

  it('falls back to a selection copy where the Clipboard API is missing (plain http), keeping focus', async () => {
    await open();
    const copied = page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          Object.defineProperty(navigator, 'clipboard', { value: undefined });
          document.addEventListener('copy', () => resolve(String(document.getSelection())), { once: true });
        }),
    );
    const button = page.getByRole('button', { name: 'Copy to clipboard' });
    await button.focus();
    await page.keyboard.press('Enter');
    expect(await copied).toBe('ftjob-8f2a');
    await expect.poll(() => button.getAttribute('data-copied')).toBe('true');
    expect(await button.evaluate((el) => el === document.activeElement)).toBe(true);
  });
});

describe('ConfirmDialog in a browser', () => {
  it('holds the dialog open and disabled while the action runs, then closes', async () => {
    await open();
    await page.getByRole('button', { name: 'Delete model' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Delete this model?' });
    await dialog.waitFor();
    // Radix puts the first focus on Cancel, so Enter never confirms a destructive action by accident.
    expect(await dialog.getByRole('button', { name: 'Cancel' }).evaluate((el) => el === document.activeElement)).toBe(true);

    await dialog.getByRole('button', { name: 'Delete' }).click();
    const working = dialog.getByRole('button', { name: 'Working…' });
    await working.waitFor();
    expect(await working.isDisabled()).toBe(true);
    await page.keyboard.press('Escape');
    expect(await dialog.isVisible()).toBe(true);

    await page.evaluate(() => (window as unknown as { settle: (ok: boolean) => void }).settle(true));
    await dialog.waitFor({ state: 'detached' });
    expect(await events()).toEqual(['confirm']);
  });

  it('stays open for a retry when the action fails', async () => {
    await open();
    await page.getByRole('button', { name: 'Delete model' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Working…' }).waitFor();
    await page.evaluate(() => (window as unknown as { settle: (ok: boolean) => void }).settle(false));
    const retry = dialog.getByRole('button', { name: 'Delete' });
    await retry.waitFor();
    expect(await retry.isEnabled()).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await events()).toEqual(['confirm']);
  });
});
