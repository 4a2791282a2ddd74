// The jobs pages in the browser, on data written the way the runner writes it: the list with
// progress, the job page with its chart, event log and checkpoints updating live when the runner
// appends an event (NOTIFY -> socket.io -> catch-up through tRPC), a failed job's error, the
// compare view, and the new-job form with its estimate, the 402 path and a created job.
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { getDb } from '@/server/db';
import { stopBoss } from '@/server/queue/boss';
import { grantCredits } from '@/server/services/credits/credits';
import { appendJobEvents, notifyJob, type NewJobEvent } from '@/server/services/training/job-events';
import { expectFitsWidth, launchBrowser, pageDiagnosis, signIn } from '@/tests/helpers/browser';
import { startWeb } from '@/tests/helpers/web';
import { createTestUser, type TestUser } from '@/tests/helpers/factories';
import type { Platform } from '@/scripts/lib/supervisor';

let web: Platform;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
let user: TestUser;
let world: Awaited<ReturnType<typeof seed>>;
let heartbeat: NodeJS.Timeout | undefined;
const pageErrors: string[] = [];
// Console errors of the pages these tests look at (the restart test's dropped socket logs its own).
const consoleErrors: string[] = [];
let watchConsole = false;

const tag = Math.random().toString(36).slice(2, 8);
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

const trainEvent = (seq: number, step: number, loss: number): NewJobEvent => ({
  seq,
  type: 'metrics',
  message: `Step ${step}/20: training loss=${loss.toFixed(4)}`,
  data: { step, total_steps: 20, train_loss: loss, train_mean_token_accuracy: 0.3 + step / 100, learning_rate: 2e-4, tokens_per_s: 900, eta_s: (20 - step) * 2 },
});

async function waitForText(locator: Locator, pattern: RegExp) {
  await expect.poll(async () => (await locator.textContent()) ?? '', { timeout: 10_000 }).toMatch(pattern);
}

/** Restarting the web process takes seconds, or much longer on a busy machine. */
async function waitForHealthy(url: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`${url}/api/health`).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the web process did not come back within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A READY trainable base model, two VALID datasets and three jobs (running, succeeded, failed) of the user's project. */
async function seed(owner: TestUser) {
  const db = getDb();
  const scope = { organizationId: owner.organization.id, projectId: owner.project.id };
  const model = await db.baseModel.create({
    data: {
      ...scope,
      name: `tiny-ui-${tag}`,
      source: 'FOLDER',
      sourceRef: '/models/tiny',
      status: 'READY',
      progress: 1,
      architecture: 'LlamaForCausalLM',
      parameters: 168_000n,
      contextLength: 256,
      chatTemplate: true,
      details: { trainable: true },
      artifacts: { hf: { files: { 'config.json': { sha256: sha('config'), size: 512 } } }, gguf: { sha256: sha('gguf'), size: 4096, type: 'F32' } },
    },
  });
  const dataset = (name: string) =>
    db.dataset.create({
      data: { ...scope, name, filename: `${name}.jsonl`, status: 'VALID', format: 'chat', sizeBytes: 4096n, sha256: sha(name), examples: 40, stats: { estimatedTokens: 5000 } },
    });
  const training = await dataset(`train-${tag}`);
  const validation = await dataset(`valid-${tag}`);
  const job = (status: 'running' | 'succeeded' | 'failed', suffix: string, extra: object = {}) =>
    db.trainingJob.create({
      data: {
        ...scope,
        baseModelId: model.id,
        trainingDatasetId: training.id,
        validationDatasetId: validation.id,
        status,
        suffix,
        hyperparameters: { n_epochs: 2, batch_size: 4, learning_rate_multiplier: 1, preset: 'standard' },
        seed: 7,
        estimatedCost: '0.01',
        startedAt: new Date(),
        heartbeatAt: new Date(),
        ...extra,
      },
    });

  const running = await job('running', 'ui-run', { progress: { step: 6, totalSteps: 20, epoch: 0.6, etaSeconds: 28, trainLoss: 1.4, validLoss: 1.6, tokensPerSecond: 900 } });
  await appendJobEvents({
    db,
    jobId: running.id,
    events: [
      { seq: 1, message: `Validating training file: train-${tag}.jsonl` },
      { seq: 2, message: 'Training 12,288 LoRA parameters for 20 steps on cpu (fp32).' },
      ...[2.2, 2.0, 1.8, 1.7, 1.5, 1.4].map((loss, i) => trainEvent(3 + i, i + 1, loss)),
      { seq: 9, type: 'metrics', message: 'Step 5: validation loss=1.6000', data: { step: 5, valid_loss: 1.6, valid_mean_token_accuracy: 0.35 } },
      { seq: 10, level: 'warn', message: 'Sequence of example 12 truncated to 256 tokens.' },
    ],
  });
  await db.checkpoint.create({ data: { jobId: running.id, step: 5, metrics: { step: 5, train_loss: 1.5, train_accuracy: 0.35, valid_loss: 1.6 } } });

  // Resolved as prepare-job stores them, with a smaller adapter and another schedule than auto's.
  const doneSettings = { n_epochs: 2, batch_size: 4, learning_rate_multiplier: 1, preset: 'standard', lora_rank: 8, lora_alpha: 16, lora_dropout: 0.05, lora_target_modules: ['q_proj', 'v_proj'], max_sequence_length: 256, lr_scheduler: 'linear', warmup_ratio: 0.03 };
  const doneStart = new Date();
  const done = await job('succeeded', 'ui-done', { startedAt: doneStart, finishedAt: new Date(doneStart.getTime() + 95_000), trainedTokens: 9000n, progress: { step: 10, totalSteps: 10, etaSeconds: 0 }, hyperparameters: doneSettings });
  await db.fineTunedModel.create({ data: { ...scope, name: `ft:${model.name}:${scope.organizationId}:ui-done:${done.id}`, baseModelId: model.id, jobId: done.id } });
  await appendJobEvents({
    db,
    jobId: done.id,
    events: [...[2.4, 2.1, 1.9, 1.6, 1.3, 1.1, 1.0, 0.9].map((loss, i) => trainEvent(1 + i, i + 1, loss)), { seq: 9, message: 'The job has successfully completed.' }],
  });

  const failed = await job('failed', 'ui-fail', { finishedAt: new Date(), error: { code: 'trainer_oom', message: 'The trainer ran out of memory at step 3.', param: null } });
  await appendJobEvents({ db, jobId: failed.id, events: [{ seq: 1, level: 'error', message: 'The trainer ran out of memory at step 3.' }] });

  return { model, training, validation, running: `ftjob-${running.id}`, runningRaw: running.id, done: `ftjob-${done.id}`, failed: `ftjob-${failed.id}` };
}

beforeAll(async () => {
  user = await createTestUser();
  world = await seed(user);
  // The running job's runner heartbeats as a real one does, so no worker of the run takes the job
  // for lapsed and puts it back in the queue.
  heartbeat = setInterval(() => void getDb().trainingJob.update({ where: { id: world.runningRaw }, data: { heartbeatAt: new Date() } }).catch(() => undefined), 2_000);
  web = await startWeb();
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (watchConsole && message.type() === 'error') consoleErrors.push(message.text());
  });
  await signIn(page, web.url, user.email);
}, 300_000);

afterEach(async ({ task }) => {
  if (task.result?.state === 'fail' && page) console.log(await pageDiagnosis(page));
});

afterAll(async () => {
  clearInterval(heartbeat);
  await closeBrowser?.();
  await web?.stop();
  await stopBoss();
});

describe('fine-tuning jobs in the browser', () => {
  it('lists the jobs with status, progress for the running one and the fine-tuned model name', async () => {
    await page.goto(`${web.url}/jobs`);
    const running = page.locator(`[data-testid="job-row"][data-job="${world.running}"]`);
    await running.getByRole('progressbar', { name: `Training progress of ${world.running}` }).waitFor();
    expect(await running.getByText('30% · 28s left').count()).toBe(1);
    await running.getByText('Running', { exact: true }).waitFor();
    const done = page.locator(`[data-testid="job-row"][data-job="${world.done}"]`);
    await done.getByText(`ft:${world.model.name}:`, { exact: false }).waitFor();
    await done.getByRole('button', { name: /^Copy model name ft:/ }).waitFor();
    await page.locator(`[data-testid="job-row"][data-job="${world.failed}"]`).getByText('Failed', { exact: true }).waitFor();
    expect(await page.getByTestId('job-row').count()).toBe(3);
  });

  it('shows the running job with its progress, loss chart, checkpoints and event log, and follows new events live', async () => {
    await page.getByRole('link', { name: world.running }).click();
    await page.waitForURL(new RegExp(`/jobs/${world.running}$`));
    await page.getByRole('progressbar', { name: 'Training progress' }).waitFor();
    await page.getByText('Step 6 of 20').waitFor();
    const chart = page.locator('[data-testid="loss-chart"][data-points="6"]');
    await chart.waitFor();
    expect(await chart.getAttribute('data-valid-points')).toBe('1');
    expect(await chart.locator('path.recharts-line-curve').count()).toBeGreaterThanOrEqual(2);
    await page.locator('[data-testid="job-checkpoint"][data-step="5"]').waitFor();
    await page.locator('[data-testid="job-event"][data-seq="10"][data-level="warn"]').waitFor();
    expect(await page.getByTestId('job-event').first().getAttribute('data-seq')).toBe('10');
    await waitForText(page.getByTestId('job-hyperparameters'), /Epochs2Batch size4/);

    // Live: the socket is subscribed (no polling), so what the runner writes arrives without a reload.
    await page.locator('[data-testid="live-status"][data-live="true"]').waitFor();
    const db = getDb();
    await appendJobEvents({ db, jobId: world.runningRaw, events: [trainEvent(11, 7, 1.25)] });
    await page.locator('[data-testid="loss-chart"][data-points="7"]').waitFor({ timeout: 5_000 });
    await page.locator('[data-testid="job-event"][data-seq="11"]').waitFor();
    expect(await page.getByTestId('job-event').first().getAttribute('data-seq')).toBe('11');
    await db.trainingJob.update({ where: { id: world.runningRaw }, data: { progress: { step: 7, totalSteps: 20, epoch: 0.7, etaSeconds: 26, trainLoss: 1.25, tokensPerSecond: 900 } } });
    await notifyJob(db, { jobId: world.runningRaw });
    await page.getByText('Step 7 of 20').waitFor({ timeout: 5_000 });
  });

  it('catches up from the database with what was written while the web process was down', async () => {
    const child = web.children.get('web')!;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    await page.locator('[data-testid="live-status"][data-live="false"]').waitFor();
    await appendJobEvents({ db: getDb(), jobId: world.runningRaw, events: [trainEvent(12, 8, 1.2), trainEvent(13, 9, 1.1)] });
    // The supervisor restarts the web process; the socket reconnects, resubscribes and reads after its last seq.
    await waitForHealthy(web.url);
    await page.locator('[data-testid="live-status"][data-live="true"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="loss-chart"][data-points="9"]').waitFor();
    expect(await page.getByTestId('job-event').first().getAttribute('data-seq')).toBe('13');
    expect(await page.locator('[data-testid="job-event"][data-seq="12"]').count()).toBe(1);
  }, 200_000);

  it('shows a failed job’s error code and message', async () => {
    await page.goto(`${web.url}/jobs/${world.failed}`);
    const error = page.getByTestId('job-error');
    await error.getByText('trainer_oom').waitFor();
    await error.getByText('The trainer ran out of memory at step 3.').waitFor();
    expect(await page.getByRole('button', { name: 'Cancel job' }).count()).toBe(0);
  });

  it('compares the loss curves of two selected jobs', async () => {
    await page.goto(`${web.url}/jobs`);
    await page.getByRole('checkbox', { name: `Select ${world.running}` }).click();
    await page.getByRole('checkbox', { name: `Select ${world.done}` }).click();
    await page.getByRole('button', { name: 'Compare (2)' }).click();
    await page.waitForURL(/\/jobs\/compare\?ids=/);
    const chart = page.locator('[data-testid="compare-chart"][data-jobs="2"]');
    await chart.waitFor();
    expect(await chart.locator('path.recharts-line-curve').count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('compare-legend-item').count()).toBe(2);
    await page.getByTestId('compare-legend').getByText(`ui-done (${world.done})`).waitFor();
  });

  it('picks runs from the filtered list, smooths the curves, plots by epoch and marks the settings that differ', async () => {
    watchConsole = true;
    const results = page.getByTestId('compare-results');
    await results.locator(`[data-testid="compare-result"][data-job="${world.done}"]`).getByTestId('compare-final-train').getByText('0.9', { exact: true }).waitFor();
    await results.locator(`[data-testid="compare-result"][data-job="${world.done}"]`).getByTestId('compare-duration').getByText('1m 35s').waitFor();
    expect(await results.locator(`[data-testid="compare-result"][data-job="${world.running}"]`).getByTestId('compare-cost').textContent()).toMatch(/0\.01/);

    const settings = page.getByTestId('compare-settings');
    const row = (key: string) => settings.locator(`[data-testid="compare-setting"][data-key="${key}"]`);
    expect(await row('lora_rank').getAttribute('data-differs')).toBe('true');
    await row('lora_rank').getByText('differs').waitFor();
    await row('lora_target_modules').getByText('q_proj, v_proj').waitFor();
    await row('lr_scheduler').getByText('Linear').waitFor();
    expect(await row('n_epochs').getAttribute('data-differs')).toBe('false');
    expect(await row('model').getAttribute('data-differs')).toBe('false');
    // The seven advanced settings: chosen for the finished run, left to auto (not yet resolved) on the other.
    await page.getByText('7 settings differ between the runs and are marked.').waitFor();

    await page.getByLabel('Smoothing').fill('0.9');
    await page.locator('[data-testid="compare-chart"][data-smoothing="0.9"]').waitFor();
    expect(await page.getByTestId('smoothing-value').textContent()).toBe('0.90');
    // The axis is a pair of radio buttons: arrow keys move between them.
    await page.getByRole('radio', { name: 'Step' }).focus();
    await page.keyboard.press('ArrowRight');
    const byEpoch = page.locator('[data-testid="compare-chart"][data-axis="epoch"][data-jobs="2"]');
    await byEpoch.waitFor();
    expect(await byEpoch.locator('path.recharts-line-curve').count()).toBeGreaterThanOrEqual(2);

    // The picker filters as the jobs list does; ticking a run adds it to the comparison and the address.
    const picker = page.getByTestId('compare-picker');
    await picker.getByLabel('Search').fill('ui-fail');
    await expect.poll(() => picker.getByTestId('compare-pick').count()).toBe(1);
    await picker.getByRole('checkbox', { name: `Compare ui-fail (${world.failed})` }).click();
    await page.waitForURL(new RegExp(`ids=.*${world.failed}`));
    await expect.poll(() => page.getByTestId('compare-legend-item').count()).toBe(3);
    await page.getByText('3 runs chosen; compare up to 8.').waitFor();
    await picker.getByLabel('Search').fill('no-such-run');
    await picker.getByTestId('compare-picker-empty').waitFor();

    await expectFitsWidth(page, 1440, 'jobs-compare');
    await expectFitsWidth(page, 390, 'jobs-compare');
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(consoleErrors).toEqual([]);
  });

  it('keeps the advanced settings under "Advanced", each auto with its help, checked before sending', async () => {
    await page.goto(`${web.url}/jobs/new`);
    await page.getByTestId('model-select').click();
    await page.getByRole('option', { name: world.model.name }).click();
    await page.getByLabel('Training file').click();
    await page.getByRole('option', { name: new RegExp(`^${world.training.name}`) }).click();
    expect(await page.getByRole('textbox', { name: 'LoRA rank' }).isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Advanced' }).click();
    const rank = page.getByRole('textbox', { name: 'LoRA rank' });
    await rank.waitFor();
    // Each field says what "auto" chose for this model and file.
    await expect.poll(() => rank.getAttribute('placeholder')).toBe('auto (16)');
    await expect.poll(() => page.getByRole('textbox', { name: 'Max sequence length' }).getAttribute('placeholder')).toBe('auto (256)');
    await page.getByText("The adapter's size: a higher rank learns more and trains slower. 1 to 256.").waitFor();

    await rank.fill('300');
    await page.getByRole('textbox', { name: 'Warmup' }).fill('0.9');
    await page.getByRole('checkbox', { name: 'All seven (auto)' }).click();
    for (const module of ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']) await page.getByRole('checkbox', { name: module }).click();
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByText('Enter a whole number from 1 to 256, or leave it empty for auto.').waitFor();
    await page.getByText('Enter a share from 0 to 0.5, or leave it empty for auto.').waitFor();
    await page.getByText('Tick at least one module, or choose all seven (auto).').waitFor();

    // By keyboard: type, tick with Space, open the scheduler and choose with the arrows.
    await rank.fill('8');
    await page.getByRole('textbox', { name: 'Warmup' }).fill('0.1');
    await page.getByRole('checkbox', { name: 'q_proj' }).focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    expect(await page.getByRole('checkbox', { name: 'v_proj' }).getAttribute('aria-checked')).toBe('true');
    await page.getByLabel('Learning-rate scheduler').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('option', { name: 'Linear' }).waitFor();
    // Type-ahead moves to the option, Enter chooses it.
    await page.keyboard.press('l');
    await expect.poll(() => page.getByRole('option', { name: 'Linear' }).getAttribute('data-highlighted')).toBe('');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByLabel('Learning-rate scheduler').textContent()).toBe('Linear');
    // Longer than the model's context of 256 tokens: the server's own check, shown at the field.
    await page.getByRole('textbox', { name: 'Max sequence length' }).fill('512');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByText("The maximum sequence length 512 is longer than the model's context of 256 tokens", { exact: false }).waitFor();
    await page.getByRole('textbox', { name: 'Max sequence length' }).fill('128');

    await expectFitsWidth(page, 1440, 'jobs-new-advanced');
    await expectFitsWidth(page, 390, 'jobs-new-advanced');
    await page.setViewportSize({ width: 1440, height: 900 });
    // The browser logs the refused job.create (the 400 above, on purpose) as a failed resource; nothing else.
    expect(consoleErrors.filter((e) => !/status of 400 \(Bad Request\)/.test(e))).toEqual([]);
    expect(consoleErrors.length).toBeLessThanOrEqual(1);
    watchConsole = false;
  });

  it('estimates the cost on the new-job form, explains a missing balance, then creates the job', async () => {
    await page.goto(`${web.url}/jobs/new`);
    await page.getByTestId('model-select').click();
    await page.getByRole('option', { name: world.model.name }).click();
    await page.getByLabel('Training file').click();
    await page.getByRole('option', { name: new RegExp(`^${world.training.name}`) }).click();
    await page.getByLabel('Suffix').fill('from-ui');
    await page.getByText('Quick', { exact: true }).click();
    expect(await page.getByRole('radio', { name: /^Quick/ }).isChecked()).toBe(true);
    const estimate = page.getByTestId('job-estimate');
    await estimate.getByTestId('estimate-credits').waitFor();
    await waitForText(estimate.getByTestId('estimate-hyperparameters'), /^Epochs1Batch size/);

    await page.getByRole('button', { name: 'Advanced' }).click();
    await page.getByRole('textbox', { name: 'LoRA rank' }).fill('8');
    await page.getByRole('textbox', { name: 'Max sequence length' }).fill('128');
    await page.getByRole('checkbox', { name: 'All seven (auto)' }).click();
    for (const module of ['k_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']) await page.getByRole('checkbox', { name: module }).click();
    await page.getByRole('textbox', { name: 'Epochs' }).fill('2.5');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByText('Enter a whole number from 1 to 50, or leave it empty for auto.').waitFor();
    await page.getByRole('textbox', { name: 'Epochs' }).fill('2');
    await waitForText(estimate.getByTestId('estimate-hyperparameters'), /^Epochs2Batch size/);

    await page.getByRole('button', { name: 'Create job' }).click();
    const refused = page.getByTestId('create-job-error');
    await refused.getByText('Not enough credits').waitFor();
    await refused.getByText('Your balance is 0 credits.').waitFor();
    expect(await refused.getByRole('link', { name: 'Add credits on Usage & billing' }).getAttribute('href')).toBe('/usage');

    await grantCredits({ db: getDb(), organizationId: user.organization.id, amount: 100, actor: {} });
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.waitForURL(/\/jobs\/ftjob-[a-z0-9]+$/);
    const detail = page.getByTestId('job-detail');
    await detail.waitFor();
    const created = await getDb().trainingJob.findFirstOrThrow({ where: { suffix: 'from-ui' } });
    expect(await detail.getAttribute('data-job')).toBe(`ftjob-${created.id}`);
    expect(created.hyperparameters).toMatchObject({ n_epochs: 2, batch_size: 'auto', learning_rate_multiplier: 'auto', preset: 'quick', lora_rank: 8, max_sequence_length: 128, lora_target_modules: ['q_proj', 'v_proj'] });
    expect(created.hyperparameters).not.toHaveProperty('lora_alpha');
    expect(created.validationDatasetId).toBeNull();
    await page.locator('[data-testid="job-event"][data-seq="1"]').getByText(`Validating training file: ${world.training.filename}`).waitFor();
  });

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
