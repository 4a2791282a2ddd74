// The dashboard's serving features in the browser, on web and gpu-runner processes: deploy a model
// from the Models page and watch it become ready, point an alias at it, then chat in the
// playground (a streamed reply appears, with its usage), side by side with a second model, and
// see the code for the current settings; undeploy it again.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cachedTinyModel } from '@/gpu-runner/trainer/python';
import { startPlatform, type Platform } from '@/scripts/lib/supervisor';
import { launchBrowser, pageDiagnosis, signIn } from '@/tests/helpers/browser';
import { createTestUser, type TestUser } from '@/tests/helpers/factories';
import { eventually, importModel, userWithKey } from '@/tests/helpers/serving';
import { getDb } from '@/server/db';
import { useOwnDatabase } from '@/tests/helpers/own-database';

const suffix = Math.random().toString(36).slice(2, 7);
const modelA = `tiny-play-a-${suffix}`;
const modelB = `tiny-play-b-${suffix}`;
let platform: Platform;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
let owner: TestUser;
const logs: string[] = [];

// Its worker and runner processes must see only its own rows (tests/helpers/own-database.ts).
useOwnDatabase();

beforeAll(async () => {
  const modelDir = await cachedTinyModel();
  await Promise.all([importModel(modelDir, modelA), importModel(modelDir, modelB)]);
  ({ user: owner } = await userWithKey(100));
  try {
    platform = await startPlatform({
      port: 0,
      processes: ['web', 'gpu-runner'],
      env: { LOG_LEVEL: 'warn', LATHE_EXECUTOR: 'process', RUNNER_SERVING_THREADS: '1' },
      log: (l) => logs.push(l),
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${logs.slice(-40).join('\n')}`);
  }
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  page.setDefaultTimeout(30_000);
}, 400_000);

afterAll(async () => {
  await closeBrowser?.();
  await platform?.stop();
});

const deployment = (name: string) => page.locator(`[data-testid="deployment"][data-model="${name}"]`);

async function chooseOption(trigger: ReturnType<Page['locator']>, name: string) {
  await trigger.click();
  await page.getByRole('option', { name: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`) }).click();
}

afterEach(async ({ task }) => {
  if (task.result?.state !== 'fail') return;
  // The platform's own output explains most failures here; what the panes say and where each
  // deployment stands explain the rest.
  console.log(logs.slice(-60).join('\n'));
  const panes = await page?.getByTestId('playground-pane').allInnerTexts().catch((error: unknown) => [`(panes unreadable: ${String(error)})`]);
  console.log('panes:', JSON.stringify(panes));
  if (page) console.log(await pageDiagnosis(page));
  const deployments = await getDb().deployment.findMany({ select: { status: true, error: true, updatedAt: true, baseModel: { select: { name: true } } } });
  console.log('deployments:', JSON.stringify(deployments));
});

describe('serving in the dashboard', () => {
  it('deploys a model from the Models page and shows it serving', async () => {
    await signIn(page, platform.url, owner.email);
    await page.goto(`${platform.url}/models`);
    await deployment(modelA).waitFor();
    expect(await deployment(modelA).getAttribute('data-deployment-status')).toBe('NOT_DEPLOYED');
    await page.getByRole('button', { name: `Deploy ${modelA}` }).click();
    await page.locator(`[data-testid="deployment"][data-model="${modelA}"][data-deployment-status="READY"]`).waitFor({ timeout: 120_000 });
    expect(await deployment(modelA).getByText('Ready to chat').count()).toBe(1);
  }, 180_000);

  it('creates an alias pointing at a model', async () => {
    const card = page.getByTestId('model-aliases');
    await card.getByLabel('Alias name').fill(`chat-${suffix}`);
    await chooseOption(card.getByRole('combobox', { name: 'Model' }), modelA);
    await card.getByRole('button', { name: 'Create alias' }).click();
    const row = page.locator(`[data-testid="alias-row"][data-alias="chat-${suffix}"]`);
    await row.waitFor();
    expect(await row.getByRole('combobox').textContent()).toContain(modelA);
  });

  it('streams a reply in the playground', async () => {
    await page.goto(`${platform.url}/playground`);
    await chooseOption(page.getByTestId('model-select-0'), modelA);
    await page.getByLabel('Maximum tokens').fill('24');
    // Greedy, and a prompt the fixture answers with text rather than an immediate end of turn.
    await page.getByLabel('Temperature').fill('0');
    await page.getByTestId('playground-input').fill('Hello!');
    await page.getByTestId('playground-send').click();
    const reply = page.getByTestId('playground-reply').first();
    await reply.getByText(/prompt \+ \d+ completion tokens/).waitFor({ timeout: 120_000 });
    expect((await reply.getByTestId('playground-reply-text').textContent())!.length).toBeGreaterThan(0);
    expect(await page.getByTestId('playground-user').count()).toBe(1);
  }, 150_000);

  it('sends one prompt to two models side by side', async () => {
    await page.getByRole('button', { name: 'Reset conversation' }).click();
    await page.getByTestId('side-by-side').click();
    await chooseOption(page.getByTestId('model-select-1'), modelB);
    await page.getByTestId('playground-input').fill('Tell me a story.');
    await page.getByTestId('playground-send').click();
    const panes = page.getByTestId('playground-pane');
    expect(await panes.count()).toBe(2);
    for (const [i, model] of [modelA, modelB].entries()) {
      const pane = panes.nth(i);
      expect(await pane.getAttribute('data-model')).toBe(model);
      await pane.getByTestId('playground-reply').getByText(/completion tokens/).waitFor({ timeout: 150_000 });
      expect((await pane.getByTestId('playground-reply-text').textContent())!.length).toBeGreaterThan(0);
    }
  }, 180_000);

  it('shows curl and SDK code for the current settings', async () => {
    await page.getByRole('button', { name: 'View code' }).click();
    const dialog = page.getByRole('dialog');
    // Side by side, one request per model.
    const [first, second] = [dialog.getByTestId('code-for-model').nth(0), dialog.getByTestId('code-for-model').nth(1)];
    await first.getByText('"max_tokens": 24').waitFor();
    expect(await first.locator('code').textContent()).toContain(`"model": "${modelA}"`);
    expect(await second.locator('code').textContent()).toContain(`"model": "${modelB}"`);
    await dialog.getByRole('tab', { name: 'Python' }).click();
    await dialog.getByText(`model="${modelA}"`).waitFor();
  });

  it('undeploys the model as a platform admin, and its runner stops the inference server', async () => {
    const served = await getDb().deployment.findFirstOrThrow({ where: { status: 'READY', baseModel: { name: modelA } } });
    // A platform-wide model serves every organization: its owner-level users may deploy it but not take it away.
    await page.goto(`${platform.url}/models`);
    await page.locator(`[data-testid="deployment"][data-model="${modelA}"][data-deployment-status="READY"]`).waitFor();
    expect(await page.getByRole('button', { name: `Undeploy ${modelA}` }).count()).toBe(0);

    const admin = await createTestUser({ admin: true });
    await browser.clearCookies();
    await signIn(page, platform.url, admin.email);
    await page.goto(`${platform.url}/models`);
    await page.getByRole('button', { name: `Undeploy ${modelA}` }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Undeploy' }).click();
    await page.locator(`[data-testid="deployment"][data-model="${modelA}"][data-deployment-status="STOPPED"]`).waitFor();
    await page.getByRole('button', { name: `Deploy ${modelA}` }).waitFor();
    await eventually(async () => !(await fetch(`${served.endpoint}/health`).then(() => true, () => false)), 30_000, 'the inference server to stop');
  }, 60_000);
});
