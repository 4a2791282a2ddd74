// Preference tuning in the browser: choosing a preference-pairs file in the new-job form selects
// the DPO method and shows beta (an out-of-range beta is a sentence beside the field), and a DPO
// job's page charts its rewards and margin. Screenshots at 1440 and 390 px go to LATHE_SCREENSHOTS
// when it is set; neither page overflows either width.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { getDb } from '@/server/db';
import { stopBoss } from '@/server/queue/boss';
import { grantCredits } from '@/server/services/credits/credits';
import { appendJobEvents } from '@/server/services/training/job-events';
import { expectFitsWidth, launchBrowser, signIn } from '@/tests/helpers/browser';
import { startWeb } from '@/tests/helpers/web';
import { createTestUser, type TestUser } from '@/tests/helpers/factories';
import type { Platform } from '@/scripts/lib/supervisor';

let web: Platform;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
let user: TestUser;
let jobId: string;
let preferenceName: string;
const tag = Math.random().toString(36).slice(2, 8);
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

async function seed(owner: TestUser) {
  const db = getDb();
  const scope = { organizationId: owner.organization.id, projectId: owner.project.id };
  const model = await db.baseModel.create({
    data: {
      ...scope, name: `tiny-dpo-ui-${tag}`, source: 'FOLDER', sourceRef: '/models/tiny', status: 'READY', progress: 1, architecture: 'LlamaForCausalLM',
      parameters: 168_000n, contextLength: 256, chatTemplate: true, details: { trainable: true },
      artifacts: { hf: { files: { 'config.json': { sha256: sha('config'), size: 512 } } }, gguf: { sha256: sha('gguf'), size: 4096, type: 'F32' } },
    },
  });
  preferenceName = `pairs-${tag}`;
  const pairs = await db.dataset.create({ data: { ...scope, name: preferenceName, filename: `${preferenceName}.jsonl`, status: 'VALID', format: 'preference', sizeBytes: 4096n, sha256: sha('pairs'), examples: 24 } });
  await db.dataset.create({ data: { ...scope, name: `chat-${tag}`, filename: `chat-${tag}.jsonl`, status: 'VALID', format: 'chat', sizeBytes: 4096n, sha256: sha('chat'), examples: 40 } });
  const job = await db.trainingJob.create({
    data: {
      ...scope, baseModelId: model.id, trainingDatasetId: pairs.id, status: 'succeeded', suffix: 'dpo-ui', seed: 7, finishedAt: new Date(),
      hyperparameters: { n_epochs: 2, batch_size: 4, learning_rate_multiplier: 1, preset: 'standard', method: { type: 'dpo', beta: 0.1 } },
    },
  });
  await appendJobEvents({
    db,
    jobId: job.id,
    events: Array.from({ length: 10 }, (_, i) => ({
      seq: i + 1,
      type: 'metrics' as const,
      message: `Step ${i + 1}/10`,
      data: { step: i + 1, total_steps: 10, train_loss: 0.69 - i * 0.05, rewards_chosen: i * 0.1, rewards_rejected: -i * 0.15, reward_margin: i * 0.25, preference_accuracy: Math.min(1, 0.5 + i * 0.06) },
    })),
  });
  await grantCredits({ db, organizationId: owner.organization.id, amount: 100, actor: {} });
  return `ftjob-${job.id}`;
}

/** Both widths; `within` names the element that must fit the width (default: the whole page). */
async function shoot(name: string, within?: string) {
  for (const width of [1440, 390]) await expectFitsWidth(page, width, name, { height: 900, within });
  await page.setViewportSize({ width: 1440, height: 900 });
}

beforeAll(async () => {
  user = await createTestUser();
  jobId = await seed(user);
  web = await startWeb();
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  await signIn(page, web.url, user.email);
}, 300_000);

afterAll(async () => {
  await closeBrowser?.();
  await web?.stop();
  await stopBoss();
});

describe('preference tuning in the dashboard', () => {
  it('selects DPO when a preference file is chosen, and explains a bad beta in a sentence', async () => {
    await page.goto(`${web.url}/jobs/new`);
    await page.getByTestId('training-file-select').click();
    await page.getByRole('option', { name: new RegExp(preferenceName) }).click();
    await expect.poll(async () => (await page.getByTestId('method-select').textContent()) ?? '').toMatch(/DPO/);
    const beta = page.getByLabel('Beta');
    await beta.fill('5');
    await page.getByRole('button', { name: 'Create job' }).click();
    await expect.poll(async () => (await page.locator('body').textContent()) ?? '').toMatch(/number above 0 and at most 2/);
    await shoot('new-job-dpo');
  }, 120_000);

  it("charts a DPO job's rewards and margin on the job page", async () => {
    await page.goto(`${web.url}/jobs/${jobId}`);
    await page.getByRole('tab', { name: 'Preference rewards' }).click();
    const chart = page.getByTestId('rewards-chart');
    await chart.waitFor();
    expect(await chart.textContent()).toMatch(/Reward margin/);
    await shoot('job-dpo-rewards');
    await shoot('job-dpo-rewards-chart', 'rewards-chart');
  }, 120_000);
});
