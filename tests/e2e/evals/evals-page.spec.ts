// The Evaluations pages in one browser on one web process: a finished run's score chart, win rate
// and answers side by side at 1440 and 390 px without horizontal scroll or console errors; the
// empty state of a new project; and the form, which answers at once that a judge model is not
// deployed and offers the button that deploys it.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { stopBoss } from '@/server/queue/boss';
import type { Platform } from '@/scripts/lib/supervisor';
import { expectFitsWidth, launchBrowser, signIn } from '@/tests/helpers/browser';
import { createTestUser, type TestUser } from '@/tests/helpers/factories';
import { startWeb } from '@/tests/helpers/web';
import { seedTokenizerModel, storeFixtureTokenizer } from '@/tests/kit/datasets';
import { watchConsole } from '@/tests/kit/dashboard';
import { seedEvalRun } from '@/tests/kit/evals';

const tag = Math.random().toString(36).slice(2, 8);
let web: Platform;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
let owner: TestUser;
let newcomer: TestUser;
let base: string;
let baseId: string;
let runId: string;
let jobId: string;
let errors: string[];

beforeAll(async () => {
  owner = await createTestUser();
  newcomer = await createTestUser();
  const db = getDb();
  await db.creditLedgerEntry.create({ data: { organizationId: owner.organization.id, kind: 'GRANT', amount: 100 } });
  const model = await seedTokenizerModel(owner, `tiny-evals-${tag}`, await storeFixtureTokenizer());
  base = model.name;
  baseId = model.id;
  const job = await db.trainingJob.create({
    data: { organizationId: owner.organization.id, projectId: owner.project.id, baseModelId: model.id, trainingDatasetId: (await db.dataset.create({ data: { organizationId: owner.organization.id, projectId: owner.project.id, name: 'train.jsonl', status: 'VALID' } })).id, status: 'succeeded', hyperparameters: {}, seed: 1, finishedAt: new Date() },
  });
  const tuned = await db.fineTunedModel.create({ data: { organizationId: owner.organization.id, projectId: owner.project.id, name: `ft:${base}:${owner.organization.id}:facts:${job.id}`, baseModelId: model.id, jobId: job.id } });
  jobId = job.id;
  runId = (await seedEvalRun(owner, { base, tuned: tuned.name, jobId })).run.id;
  web = await startWeb();
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  page.setDefaultTimeout(30_000);
  errors = watchConsole(page);
}, 300_000);

afterAll(async () => {
  await getDb().deployment.updateMany({ where: { baseModelId: baseId }, data: { status: 'STOPPED' } });
  await closeBrowser?.();
  await web?.stop();
  await stopBoss();
});

describe('the Evaluations pages', () => {
  it('shows a finished run: scores charted, the win rate against the base, and each answer side by side', async () => {
    await signIn(page, web.url, owner.email);
    await page.goto(`${web.url}/evaluations/${runId}`);
    await page.locator('[data-testid="eval-run"][data-status="succeeded"]').waitFor();
    await page.locator('[data-testid="eval-score-chart"] .recharts-bar-rectangle').first().waitFor();
    const tunedSummary = page.locator('[data-testid="eval-model-summary"]').nth(1);
    expect(await tunedSummary.getByTestId('win-rate').innerText()).toBe(`Win rate against ${base}: 83% (9 won, 1 lost, 2 tied)`);
    expect(await page.locator('[data-testid="eval-model-summary"]').first().innerText()).toContain('Score: 17%');
    expect(await page.getByTestId('eval-example').count()).toBe(12);
    const first = page.getByTestId('eval-example').nth(1);
    expect(await first.getByTestId('eval-answer').count()).toBe(2);
    expect(await first.locator('[data-testid="eval-answer"][data-passed="true"]').innerText()).toContain('Eight.');
    expect(await first.locator('[data-testid="eval-answer"][data-passed="false"]').innerText()).toContain('Expected exactly "Eight."');
    for (const width of [1440, 390]) await expectFitsWidth(page, width, 'evaluation-run');
  }, 120_000);

  it('lists the run on the Evaluations page, at both widths', async () => {
    await page.goto(`${web.url}/evaluations`);
    await page.locator('[data-testid="eval-run-row"][data-status="succeeded"]').waitFor();
    expect(await page.getByTestId('eval-run-row').innerText()).toContain(`${base}: 17%`);
    for (const width of [1440, 390]) await expectFitsWidth(page, width, 'evaluations');
  }, 60_000);

  it("links the run from its job's page, with the fine-tune's win rate", async () => {
    await page.goto(`${web.url}/jobs/ftjob-${jobId}`);
    const card = page.getByTestId('job-evaluations');
    await card.waitFor();
    expect(await card.innerText()).toContain(`Win rate against ${base}: 83%`);
    await card.getByRole('link').click();
    await page.locator('[data-testid="eval-run"][data-status="succeeded"]').waitFor();
    expect(page.url()).toBe(`${web.url}/evaluations/${runId}`);
  }, 60_000);

  it('offers an evaluation against the base as an option of a new job', async () => {
    await page.goto(`${web.url}/jobs/new`);
    await page.getByTestId('eval-on-success-switch').click();
    await page.getByText('Choose an eval set, or a validation file above.').waitFor();
    await page.getByTestId('eval-on-success-set').click();
    await page.getByRole('option', { name: /evals\.jsonl/ }).click();
    expect(await page.getByText('Choose an eval set, or a validation file above.').count()).toBe(0);
    for (const width of [1440, 390]) await expectFitsWidth(page, width, 'new-job-evaluation');
  }, 60_000);

  it('says at once that the judge is not deployed, and deploys it from the same alert', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${web.url}/evaluations`);
    await page.getByTestId('eval-set-select').click();
    await page.getByRole('option', { name: /evals\.jsonl/ }).first().click();
    await page.getByLabel(base, { exact: true }).check();
    await page.getByTestId('grader-select').click();
    await page.getByRole('option', { name: /^Model-graded/ }).click();
    await page.getByTestId('judge-select').click();
    await page.getByRole('option', { name: base, exact: true }).click();
    await page.getByLabel('Rubric').fill('Names the right answer.');
    await page.getByRole('button', { name: 'Start evaluation' }).click();
    const alert = page.getByTestId('judge-not-deployed');
    await alert.waitFor();
    expect(await alert.innerText()).toContain(`${base} cannot grade answers until ${base} is deployed.`);
    // The refusal itself is the browser's only complaint: the 412 it was answered with.
    expect(errors).toEqual([expect.stringMatching(/status of 412/)]);
    errors.length = 0;
    expect(await getDb().evalRun.count({ where: { organizationId: owner.organization.id } })).toBe(1);
    await expectFitsWidth(page, 390, 'evaluations-judge-not-deployed');
    await alert.getByRole('button', { name: `Deploy ${base}` }).click();
    await alert.getByRole('button', { name: 'Deploying…' }).waitFor();
    expect(await getDb().deployment.count({ where: { baseModelId: baseId, status: { in: ['REQUESTED', 'LOADING', 'READY'] } } })).toBe(1);
  }, 60_000);

  it('greets a project without evaluations with what to do next', async () => {
    await page.context().clearCookies();
    await signIn(page, web.url, newcomer.email);
    await page.goto(`${web.url}/evaluations`);
    await page.getByText('No evaluations yet').waitFor();
    await page.getByText('Upload an eval set below', { exact: false }).waitFor();
    await page.getByText('No eval set is ready yet: upload one below.').waitFor();
    for (const width of [1440, 390]) await expectFitsWidth(page, width, 'evaluations-empty');
  }, 60_000);

  it('logged no console error on any of these pages', () => {
    expect(errors).toEqual([]);
  });
});
