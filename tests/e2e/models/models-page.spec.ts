// The Models page in the browser, with the real web and worker processes: import from the local
// Hub server through the dialog's search, watch the row become Ready without reloading, read its
// details, see a bad server folder fail with its reason, and reach a gated repo only with the
// organization's own Hugging Face token, stored in Settings.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedTinyModel } from '@/gpu-runner/trainer/python';
import { startPlatform, type Platform } from '@/scripts/lib/supervisor';
import { startFakeHub, type FakeHub } from '@/tests/fixtures/hub/fake-hub';
import { expectFitsWidth, launchBrowser, signIn } from '@/tests/helpers/browser';
import { getDb } from '@/server/db';
import { createTestUser, type TestUser } from '@/tests/helpers/factories';
import { useOwnDatabase } from '@/tests/helpers/own-database';

let platform: Platform;
let hub: FakeHub;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
let owner: TestUser;
let root: string;
let fixture: string;
const logs: string[] = [];
const suffix = Math.random().toString(36).slice(2, 7);
const TOKEN = 'hf_lathe_models_page_token';

// Its worker and runner processes must see only its own rows (tests/helpers/own-database.ts).
useOwnDatabase();

beforeAll(async () => {
  fixture = await cachedTinyModel();
  root = await mkdtemp(path.join(os.tmpdir(), 'lathe-models-page-'));
  hub = await startFakeHub({ repos: [{ id: 'lathe/tiny-chat', dir: fixture }, { id: 'meta/gated-chat', dir: fixture, gated: true }], token: TOKEN });
  try {
    platform = await startPlatform({ processes: ['web', 'worker'], env: { LOG_LEVEL: 'warn', HF_ENDPOINT: hub.url, LATHE_IMPORT_ROOT: root, HF_TOKEN: TOKEN }, log: (l) => logs.push(l) });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${logs.slice(-40).join('\n')}`);
  }
  owner = await createTestUser();
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  page.setDefaultTimeout(20_000);
}, 300_000);

afterAll(async () => {
  await closeBrowser?.();
  await platform?.stop();
  await hub?.close();
  await rm(root, { recursive: true, force: true });
});

const row = (name: string) => page.locator(`[data-testid="model-row"][data-model="${name}"]`);

describe('Models page', () => {
  it('signs in and opens the Models page', async () => {
    await signIn(page, platform.url, owner.email);
    await page.goto(`${platform.url}/models`);
    await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
  });

  it('imports a Hub repo found by searching and shows it Ready without a reload', async () => {
    const name = `tiny-chat-${suffix}`;
    await page.getByRole('button', { name: 'Import model' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Repository').fill('tiny');
    await dialog.getByRole('button', { name: /lathe\/tiny-chat/ }).click();
    await expect.poll(() => dialog.getByLabel('Repository').inputValue()).toBe('lathe/tiny-chat');
    await dialog.getByTestId('hub-files').getByText(/files to download/).waitFor();
    expect(await dialog.getByLabel('Name').inputValue()).toBe('tiny-chat');
    await dialog.getByLabel('Name').fill(name);
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });

    await row(name).waitFor();
    await page.locator(`[data-testid="model-row"][data-model="${name}"][data-status="READY"]`).waitFor({ timeout: 120_000 });
    await row(name).getByText('Chat', { exact: true }).waitFor();
    expect(await row(name).getByText('LlamaForCausalLM').count()).toBe(1);

    await row(name).getByRole('button', { name: `Details: ${name}` }).click();
    const details = page.getByTestId('model-details');
    await details.getByText('LlamaForCausalLM').waitFor();
    await details.getByText('Yes: chat-capable').waitFor();
    await details.getByText('Can be fine-tuned').waitFor();
    await details.getByText('lathe/tiny-chat').waitFor();
    await page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached' });
  });

  it('shows why a server folder failed to import', async () => {
    const dir = path.join(root, owner.organization.id, 'not-a-model');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'notes.txt'), 'no model here');
    const name = `broken-${suffix}`;
    await page.getByRole('button', { name: 'Import model' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('tab', { name: 'Server path' }).click();
    await dialog.getByLabel('Path on the server').fill(dir);
    await dialog.getByLabel('Name').fill(name);
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator(`[data-testid="model-row"][data-model="${name}"][data-status="FAILED"]`).waitFor({ timeout: 90_000 });
    await row(name).getByText(/no config\.json/).waitFor();
  });

  it('retries a failed server-folder import once the folder holds a model, on the same row', async () => {
    const name = `broken-${suffix}`;
    const failed = await getDb().baseModel.findFirstOrThrow({ where: { name } });
    await cp(fixture, path.join(root, owner.organization.id, 'not-a-model'), { recursive: true });
    await row(name).getByRole('button', { name: `Retry: ${name}` }).click();
    await page.locator(`[data-testid="model-row"][data-model="${name}"][data-status="READY"]`).waitFor({ timeout: 120_000 });
    expect((await getDb().baseModel.findMany({ where: { name } })).map((m) => m.id)).toEqual([failed.id]);
    expect(await row(name).getByRole('button', { name: `Retry: ${name}` }).count()).toBe(0);
  });

  it('edits a failed Hub import to the right repo and imports it under the same row', async () => {
    const name = `typo-${suffix}`;
    await page.getByRole('button', { name: 'Import model' }).first().click();
    let dialog = page.getByRole('dialog');
    await dialog.getByLabel('Repository').fill('lathe/tiny-chta');
    await dialog.getByLabel('Repository').press('Escape');
    await dialog.getByLabel('Name').fill(name);
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator(`[data-testid="model-row"][data-model="${name}"][data-status="FAILED"]`).waitFor({ timeout: 90_000 });
    await expectFitsWidth(page, 1440, 'models-failed-import');
    await expectFitsWidth(page, 390, 'models-failed-import');
    await page.setViewportSize({ width: 1440, height: 900 });

    await row(name).getByRole('button', { name: `Edit: ${name}` }).click();
    dialog = page.getByRole('dialog', { name: `Edit the import of ${name}` });
    expect(await dialog.getByLabel('Repository').inputValue()).toBe('lathe/tiny-chta');
    expect(await dialog.getByLabel('Name').inputValue()).toBe(name);
    await dialog.getByLabel('Repository').fill('tiny');
    await dialog.getByRole('button', { name: /lathe\/tiny-chat/ }).click();
    await dialog.getByTestId('hub-files').getByText(/files to download/).waitFor();
    await dialog.getByRole('button', { name: 'Import again' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator(`[data-testid="model-row"][data-model="${name}"][data-status="READY"]`).waitFor({ timeout: 120_000 });
    const rows = await getDb().baseModel.findMany({ where: { name } });
    expect(rows.map((m) => m.sourceRef)).toEqual(['lathe/tiny-chat']);
  });

  it("lists a gated repo's files only once the organization stored its own Hugging Face token, never with the server's", async () => {
    const gatedFiles = async () => {
      await page.goto(`${platform.url}/models`);
      await page.getByRole('button', { name: 'Import model' }).first().click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Repository').fill('gated');
      await dialog.getByRole('button', { name: /meta\/gated-chat/ }).click();
      return dialog;
    };
    await (await gatedFiles()).getByText(/access denied \(40[13]\)/).waitFor();
    await page.keyboard.press('Escape');

    await page.goto(`${platform.url}/settings/organization`);
    const card = page.getByTestId('hub-token');
    await card.getByText('No token is stored').waitFor();
    await card.getByLabel('Token').fill(TOKEN);
    await card.getByRole('button', { name: 'Save token' }).click();
    await card.getByText(`A token ending in ${TOKEN.slice(-4)} is stored`, { exact: false }).waitFor();
    await page.getByTestId('organization-limits').getByText(`LATHE_IMPORT_ROOT/${owner.organization.id}`).waitFor();

    await (await gatedFiles()).getByTestId('hub-files').getByText(/files to download/).waitFor();
  });
});
