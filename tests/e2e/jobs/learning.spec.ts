// Training a user can trust, through the whole platform (web, worker and gpu-runner as real
// processes, the openai client against /v1, Chromium on the job page):
// - defaults that learn: a small generated dataset (not the benchmark's seeds) fine-tuned with no
//   hyperparameters at all is answered through /v1, and the base does not answer it;
// - live logs: the trainer's lines appear on the job page while the job runs, search narrows them,
//   and the whole log downloads from the artifact store after the job;
// - continue from a fine-tuned model: `model` names it, its adapter is the starting point;
// - early stopping: a job on data that overfits stops before its last epoch and publishes the best
//   checkpoint, which the job page names.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import type { BrowserContext, Page } from 'playwright-core';
import { startPlatform, type Platform } from '@/scripts/lib/supervisor';
import { cachedTinyModel } from '@/gpu-runner/trainer/python';
import { learningDataset, toJsonl, type Chat, type LearningDataset } from '@/tests/helpers/learning-datasets';
import { expectFitsWidth, launchBrowser, signIn } from '@/tests/helpers/browser';
import type { TestUser } from '@/tests/helpers/factories';
import { importModel, userWithKey } from '@/tests/helpers/serving';
import { useOwnDatabase } from '@/tests/helpers/own-database';

const modelName = `tiny-learn-${Date.now()}`;
let platform: Platform;
let client: OpenAI;
let user: TestUser;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
const logs: string[] = [];

// Seeds of this test's own, apart from the benchmark's (1000 and up).
const refusal: LearningDataset = learningDataset('refusal', 7, 20);
let tunedName: string;
let defaultsJobId: string;

useOwnDatabase();

beforeAll(async () => {
  const modelDir = await cachedTinyModel();
  await importModel(modelDir, modelName);
  const owner = await userWithKey(1000);
  user = owner.user;
  platform = await startPlatform({
    port: 0,
    env: { LOG_LEVEL: 'warn', LATHE_EXECUTOR: 'process', RUNNER_CPUS: '1', RUNNER_SERVING_THREADS: '1' },
    log: (l) => logs.push(l),
  });
  client = new OpenAI({ apiKey: owner.key, baseURL: `${platform.url}/v1`, maxRetries: 0 });
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  await signIn(page, platform.url, user.email);
}, 1_200_000);

afterAll(async () => {
  await closeBrowser?.();
  await platform?.stop();
});

afterEach(({ task }) => {
  if (task.result?.state === 'fail') console.log(logs.slice(-60).join('\n'));
});

async function upload(chats: Chat[], name: string) {
  return client.files.create({ file: await toFile(Buffer.from(toJsonl(chats)), name), purpose: 'fine-tune' });
}

async function finished(id: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let job = await client.fineTuning.jobs.retrieve(id);
  while (!['succeeded', 'failed', 'cancelled'].includes(job.status)) {
    if (Date.now() > deadline) throw new Error(`job still ${job.status}\n${logs.slice(-30).join('\n')}`);
    await new Promise((r) => setTimeout(r, 1000));
    job = await client.fineTuning.jobs.retrieve(id);
  }
  expect(job.error, JSON.stringify(job.error)).toBeNull();
  expect(job.status).toBe('succeeded');
  return job;
}

async function share(model: string, dataset: LearningDataset): Promise<{ share: number; replies: string[] }> {
  const replies: string[] = [];
  for (const probe of dataset.probes) {
    const r = await client.chat.completions.create({ model, messages: probe.messages as OpenAI.Chat.ChatCompletionMessageParam[], temperature: 0, max_tokens: 48 });
    replies.push(r.choices[0]!.message.content ?? '');
  }
  return { share: replies.filter((r, i) => dataset.score(r, i)).length / replies.length, replies };
}

describe('defaults that learn, live logs, continuing and early stopping', () => {
  it('shows the trainer log on the job page while a job with default hyperparameters runs', async () => {
    const file = await upload(refusal.train, 'refusal.jsonl');
    const created = await client.fineTuning.jobs.create({ model: modelName, training_file: file.id, suffix: 'defaults', seed: 3 });
    defaultsJobId = created.id;
    expect(created.hyperparameters).toMatchObject({ n_epochs: 'auto', batch_size: 'auto', learning_rate_multiplier: 'auto' });
    await page.goto(`${platform.url}/jobs/${created.id}`);
    const lines = page.getByTestId('job-logs-lines');
    // A step line is on the page while the job is still running: written live, not after the end.
    await expect.poll(async () => ((await lines.count()) ? await lines.textContent() : '') ?? '', { timeout: 300_000, interval: 500 }).toMatch(/step \d+\/\d+ epoch/);
    expect(await page.getByTestId('job-detail').getAttribute('data-status')).toBe('running');
    await page.getByTestId('job-logs-search').fill('training ');
    await expect.poll(async () => (await lines.textContent()) ?? '', { timeout: 10_000 }).toMatch(/^\[lathe-trainer\] training \d+ LoRA parameters/);
    expect(((await lines.textContent()) ?? '').trim().split('\n')).toHaveLength(1);
    await page.getByTestId('job-logs-search').fill('no such line anywhere');
    await expect(page.getByText('No line contains “no such line anywhere”.').isVisible()).resolves.toBe(true);
    await page.getByTestId('job-logs-search').fill('');
    expect(await page.getByTestId('job-logs-follow').getAttribute('aria-checked')).toBe('true');
  }, 420_000);

  it('learns the dataset with default hyperparameters; the base does not', async () => {
    const job = await finished(defaultsJobId, 900_000);
    // "auto" resolved from the model's width and the file's size, not a fixed default.
    expect(job.hyperparameters.n_epochs).toBeGreaterThan(3);
    tunedName = job.fine_tuned_model!;
    const tuned = await share(tunedName, refusal);
    expect(tuned.share, JSON.stringify(tuned.replies)).toBeGreaterThanOrEqual(0.8);
    const base = await share(modelName, refusal);
    expect(base.share, JSON.stringify(base.replies)).toBe(0);
  }, 960_000);

  it('downloads the whole trainer log from the artifact store after the job', async () => {
    const response = await page.request.get(`${platform.url}/api/jobs/${defaultsJobId}/log`);
    expect(response.status()).toBe(200);
    expect(response.headers()['x-lathe-log-source']).toBe('artifact-store');
    const text = await response.text();
    const steps = text.split('\n').filter((l) => /step \d+\/\d+ epoch/.test(l));
    expect(steps.length).toBeGreaterThan(100);
    expect(steps.at(-1)).toMatch(/step (\d+)\/\1 /);
    // The /v1 event list stays OpenAI's: no log lines in it.
    const events = await client.fineTuning.jobs.listEvents(defaultsJobId, { limit: 1000 });
    expect(events.data.every((e) => (e.type as string) !== 'log')).toBe(true);
  }, 60_000);

  it('continues from the fine-tuned model: its adapter is the starting point', async () => {
    // One epoch at a learning rate too small to learn anything from a fresh adapter.
    const file = await upload(refusal.train, 'refusal-again.jsonl');
    const created = await client.fineTuning.jobs.create({ model: tunedName, training_file: file.id, suffix: 'more', seed: 4, hyperparameters: { n_epochs: 1, learning_rate_multiplier: 0.001 } });
    expect(created.model).toBe(tunedName);
    const job = await finished(created.id, 300_000);
    expect(job.model).toBe(tunedName);
    const continued = await share(job.fine_tuned_model!, refusal);
    expect(continued.share, JSON.stringify(continued.replies)).toBeGreaterThanOrEqual(0.8);
    await page.goto(`${platform.url}/jobs/${created.id}`);
    await expect.poll(async () => (await page.getByTestId('job-continues-from').textContent()) ?? '', { timeout: 20_000 }).toContain(tunedName);

    const missing = await client.fineTuning.jobs.create({ model: 'ft:nothing:here::x', training_file: file.id }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).param).toBe('model');
  }, 360_000);

  it('stops early on a dataset that overfits and publishes the best checkpoint, named on the job page', async () => {
    // Validation asks the training questions with other answers: memorising the training answers
    // makes the validation loss rise.
    const train = learningDataset('facts', 11, 16).train;
    const other = learningDataset('facts', 12, 16).train;
    const valid = train.map((chat, i) => [chat[0]!, other[i]![1]!]);
    const [trainFile, validFile] = [await upload(train, 'facts.jsonl'), await upload(valid, 'facts-valid.jsonl')];
    const created = await client.fineTuning.jobs.create({
      model: modelName,
      training_file: trainFile.id,
      validation_file: validFile.id,
      seed: 5,
      hyperparameters: { n_epochs: 40, batch_size: 8, learning_rate_multiplier: 20 },
      // @ts-expect-error Lathe's own field, not in the openai client's types.
      early_stopping: { patience: 2 },
    });
    const job = await finished(created.id, 300_000);
    const events = await client.fineTuning.jobs.listEvents(created.id, { limit: 1000 });
    const messages = events.data.map((e) => e.message);
    const early = events.data.find((e) => e.message.startsWith('Early stopping at step'));
    expect(early, messages.join('\n')).toBeDefined();
    // 16 examples in batches of 8: 2 steps an epoch, 80 in all had it not stopped.
    expect((early!.data as { step: number }).step).toBeLessThan(80);
    const chosen = events.data.find((e) => e.message.startsWith('The fine-tuned model is the best checkpoint'))!;
    expect(chosen, messages.join('\n')).toBeDefined();
    const bestStep = (chosen.data as { adapter_from: { step: number } }).adapter_from.step;
    const checkpoints = await client.fineTuning.jobs.checkpoints.list(created.id);
    expect(checkpoints.data.map((c) => c.step_number)).toContain(bestStep);
    expect(job.fine_tuned_model).toMatch(/^ft:/);

    await page.goto(`${platform.url}/jobs/${created.id}`);
    const selection = page.getByTestId('job-model-selection');
    await expect.poll(async () => (await selection.count()) && (await selection.getAttribute('data-selected')), { timeout: 20_000 }).toBe('best');
    expect(await selection.getAttribute('data-step')).toBe(String(bestStep));
    expect(await selection.textContent()).toContain(`best checkpoint by validation loss: step ${bestStep}`);
    expect(await page.getByTestId('job-early-stopping').textContent()).toContain('Patience 2');

    // The page, logs panel included, fits a phone's width; LATHE_SCREENSHOTS=dir keeps pictures.
    for (const width of [1440, 390]) {
      await page.getByTestId('job-logs-lines').scrollIntoViewIfNeeded();
      await expectFitsWidth(page, width, 'job-logs', { height: 900 });
    }
  }, 360_000);
});
