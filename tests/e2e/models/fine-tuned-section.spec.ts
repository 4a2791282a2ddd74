// The Models page's fine-tuned section in the browser, on one web process: fine-tunes grouped by
// base model with their job, the base model's deployment state in words (Not deployed, Starting…,
// Ready to chat, Failed: reason) with deploy and undeploy, "Open in Playground" landing on the
// model, the download menu, and delete; at 1440 and 390 px wide, none wider than the viewport.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { getDb } from '@/server/db';
import { stopBoss } from '@/server/queue/boss';
import type { Platform } from '@/scripts/lib/supervisor';
import { expectFitsWidth, launchBrowser, signIn } from '@/tests/helpers/browser';
import { createTestUser, type TestUser } from '@/tests/helpers/factories';
import { startWeb } from '@/tests/helpers/web';
import { seedDashboard, watchConsole } from '@/tests/kit/dashboard';
import { storeFixtureTokenizer } from '@/tests/kit/datasets';

let web: Platform;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
let user: TestUser;
let world: Awaited<ReturnType<typeof seedDashboard>>;
let tuned: { id: string; name: string };
let errors: string[];
const tag = Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  user = await createTestUser();
  world = await seedDashboard(user, tag);
  // The fine-tune's adapter, as the runner stores it, so the download menu has files to offer.
  const row = await getDb().fineTunedModel.findFirstOrThrow({ where: { jobId: world.doneRaw } });
  await getDb().fineTunedModel.update({ where: { id: row.id }, data: { artifacts: { adapter: await storeFixtureTokenizer() } } });
  tuned = { id: row.id, name: row.name };
  web = await startWeb();
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  page.setDefaultTimeout(30_000);
  errors = watchConsole(page);
}, 300_000);

afterAll(async () => {
  await closeBrowser?.();
  await web?.stop();
  await stopBoss();
});

const group = () => page.locator(`[data-testid="fine-tuned-group"][data-base-model="${world.model.name}"]`);
const deployment = (status: string) => group().locator(`[data-testid="deployment"][data-deployment-status="${status}"]`);
const tunedRow = () => page.locator(`[data-testid="fine-tuned-model"][data-model="${tuned.name}"]`);

async function noOverflow(width: number, height: number, name: string) {
  await page.setViewportSize({ width, height });
  await tunedRow().waitFor();
  await expectFitsWidth(page, width, `models-fine-tuned-${name}`, { height });
}

describe('Models page: fine-tuned models', () => {
  it('lists the fine-tune under its base model, with its job and a playground link', async () => {
    await signIn(page, web.url, user.email);
    await page.goto(`${web.url}/models`);
    await page.getByRole('heading', { name: 'Fine-tuned models', level: 2 }).waitFor();
    await group().getByRole('heading', { name: `Base model ${world.model.name}` }).waitFor();
    await tunedRow().waitFor();
    expect(await tunedRow().getByRole('link', { name: `From job done-${tag}` }).getAttribute('href')).toBe(`/jobs/${world.done}`);
    await deployment('NOT_DEPLOYED').getByText('Not deployed', { exact: true }).waitFor();
    await noOverflow(1440, 900, '1440');
    await noOverflow(390, 844, '390');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('deploys the base model from the section and shows each state in words', async () => {
    await group().getByRole('button', { name: `Deploy ${world.model.name}` }).click();
    await deployment('REQUESTED').getByText('Starting…', { exact: true }).waitFor();
    const requested = await getDb().deployment.findFirstOrThrow({ where: { baseModelId: world.model.id, status: 'REQUESTED' } });

    // What a runner writes once the server answers; the page follows without a reload.
    await getDb().deployment.update({ where: { id: requested.id }, data: { status: 'READY', endpoint: 'http://127.0.0.1:1' } });
    await deployment('READY').getByText('Ready to chat', { exact: true }).waitFor();

    await group().getByRole('button', { name: `Undeploy ${world.model.name}` }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Undeploy' }).click();
    await deployment('STOPPED').getByText('Not deployed', { exact: true }).waitFor();
    expect((await getDb().deployment.findUniqueOrThrow({ where: { id: requested.id } })).status).toBe('STOPPED');

    await getDb().deployment.create({ data: { baseModelId: world.model.id, status: 'FAILED', error: 'The model does not fit in the runner’s memory.' } });
    await page.reload();
    await deployment('FAILED').getByText('Failed: The model does not fit in the runner’s memory.').waitFor();
  });

  it('offers the adapter downloads', async () => {
    await tunedRow().getByRole('button', { name: `Downloads of ${tuned.name}` }).click();
    const item = page.getByRole('menuitem', { name: /PEFT adapter \(\.zip\)/ });
    expect(await item.getAttribute('href')).toBe(`/api/downloads/${tuned.id}/adapter.zip`);
    await page.keyboard.press('Escape');
  });

  it('opens the fine-tune in the playground', async () => {
    await tunedRow().getByRole('link', { name: 'Open in Playground' }).click();
    await page.waitForURL(/\/playground\?model=/);
    await page.locator(`[data-testid="playground-pane"][data-model="${tuned.name}"]`).waitFor();
  });

  it('deletes the fine-tune and keeps its job', async () => {
    await page.goto(`${web.url}/models`);
    await tunedRow().getByRole('button', { name: `Delete ${tuned.name}` }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await tunedRow().waitFor({ state: 'detached' });
    await page.getByText('No fine-tuned models yet.', { exact: false }).waitFor();
    expect(await getDb().fineTunedModel.count({ where: { id: tuned.id } })).toBe(0);
    expect(await getDb().trainingJob.count({ where: { id: world.doneRaw } })).toBe(1);
    expect(errors).toEqual([]);
  });
});
