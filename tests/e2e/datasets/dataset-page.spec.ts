// The dataset pages in Chromium against the web and worker processes: upload a file from the
// dropzone and watch it become valid with statistics, a histogram and a preview through a base
// model's chat template; an invalid file's report with its line; delete refused while a job uses
// the dataset; the empty state.
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { getDb } from '@/server/db';
import { datasetStore } from '@/server/services/datasets/platform/config';
import { findPort, startPlatform, type Platform } from '@/scripts/lib/supervisor';
import { launchBrowser, signIn } from '@/tests/helpers/browser';
import { createTestUser, type TestUser } from '@/tests/helpers/factories';
import { useOwnDatabase } from '@/tests/helpers/own-database';
import { autoHyperparameters } from '@/lib/universal/hyperparameters';

const FIXTURES = path.resolve('tests/fixtures/datasets');
let platform: Platform;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
let user: TestUser;
const logs: string[] = [];

/** A READY chat model whose files are the fixture tokenizer (with another chat template if given), as the registry stores them. */
async function seedChatModel(owner: TestUser, { name = 'fixture-chat', chatTemplate }: { name?: string; chatTemplate?: string } = {}) {
  const store = datasetStore();
  const files: Record<string, { sha256: string; size: number }> = {};
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) {
    const source = path.join(FIXTURES, 'tokenizer', file);
    const ref = chatTemplate && file === 'tokenizer_config.json'
      ? await store.put(Readable.from([JSON.stringify({ ...JSON.parse(await readFile(source, 'utf8')), chat_template: chatTemplate })]))
      : await store.put(source);
    files[file] = { sha256: ref.sha256, size: ref.size };
  }
  const gguf = files['tokenizer.json']!;
  return getDb().baseModel.create({
    data: {
      organizationId: owner.organization.id,
      name,
      source: 'FOLDER',
      status: 'READY',
      chatTemplate: true,
      contextLength: 2048,
      pricePerMillionTokens: 2,
      details: { trainable: true },
      artifacts: { hf: { files }, gguf: { type: 'F32', ...gguf } },
    },
  });
}

// Its worker and runner processes must see only its own rows (tests/helpers/own-database.ts).
useOwnDatabase();

beforeAll(async () => {
  // A port of its own: other suites start web processes at the same time from 3000 up.
  const port = await findPort(3200 + Math.floor(Math.random() * 700));
  platform = await startPlatform({ port, processes: ['web', 'worker'], env: { LOG_LEVEL: 'warn', LATHE_TEMPLATE_TIMEOUT_MS: '2000' }, log: (line) => logs.push(line) }).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${logs.slice(-40).join('\n')}`);
  });
  user = await createTestUser();
  await seedChatModel(user);
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  page.setDefaultTimeout(30_000);
  await signIn(page, platform.url, user.email);
});

afterAll(async () => {
  await closeBrowser?.();
  await platform?.stop();
});

/** A valid chat file of about `bytes` bytes, lines tagged so two files never share a fingerprint. */
async function bigChatFile(name: string, bytes: number): Promise<string> {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = JSON.stringify({ messages: [{ role: 'user', content: `${name} question ${i}: ${'lorem ipsum '.repeat(20)}` }, { role: 'assistant', content: `Answer ${i}.` }] });
    lines.push(line);
    size += line.length + 1;
  }
  const file = path.join(os.tmpdir(), `${name}-${process.pid}.jsonl`);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

const CHUNK = 16 * 1024 * 1024;
const isPatch = (method: string, url: string) => method === 'PATCH' && url.includes('/api/uploads/');

async function upload(file: string) {
  await page.goto(`${platform.url}/datasets`);
  await page.getByLabel('Dataset file').setInputFiles(path.join(FIXTURES, file));
  await page.getByText(`${path.basename(file)} uploaded; validating it now.`).waitFor();
}

describe('dataset pages in the browser', () => {
  it('shows the empty state and the size limit', async () => {
    await page.getByText('No datasets yet').waitFor();
    await page.getByRole('button', { name: 'Choose files' }).waitFor();
    await page.getByText(/up to 512 MiB per file/).waitFor();
  });

  it('uploads a chat file from the dropzone; it becomes valid with statistics, a histogram and a preview', async () => {
    await upload('good/chat.jsonl');
    const row = page.getByTestId('dataset-row').filter({ hasText: 'chat.jsonl' });
    await row.and(page.locator('[data-status="VALID"]')).waitFor({ timeout: 60_000 });
    await row.getByText('Valid', { exact: true }).waitFor();
    expect(await row.getByRole('cell').nth(2).textContent()).toBe('12');

    await row.getByRole('link', { name: 'chat.jsonl', exact: true }).click();
    await page.getByText('Ready for fine-tuning').waitFor();
    const stats = page.getByTestId('dataset-stats');
    await stats.getByText('Examples').waitFor();
    expect(await stats.locator('dl').first().locator('dd').first().textContent()).toBe('12');
    await stats.getByText('Chat').waitFor();
    // Examples of about 20–120 characters: the bars span that range, not one "0–256" bar.
    expect(Number(await page.getByTestId('length-histogram').getAttribute('data-buckets'))).toBeGreaterThan(3);
    const [from, to] = (await page.getByTestId('length-histogram').getAttribute('data-range'))!.split('–').map(Number);
    expect(from).toBeGreaterThan(8);
    expect(to).toBeLessThan(256);
    await page.getByTestId('length-histogram').locator('.recharts-bar-rectangle').first().waitFor();
    await page.getByText('No findings: every line is a valid example.').waitFor();

    const preview = page.getByTestId('dataset-preview');
    await preview.getByTestId('preview-example').first().waitFor();
    expect(await preview.getByTestId('preview-example').count()).toBe(5);
    const first = preview.getByTestId('preview-example').first();
    expect(await first.locator('mark[data-trained="true"]').first().textContent()).toContain('Paris.');
    expect(await first.locator('pre').textContent()).toContain('<|im_start|>user\nWhat is the capital of France?<|im_end|>');
    await first.getByText(/^Line 1$/).waitFor();
    await page.getByTestId('cost-estimate').getByText(/credits$/).first().waitFor();
    // 12 examples: "auto" picks the epochs by the one rule the job form and the job use.
    const { epochs } = autoHyperparameters({ examples: 12, trainedTokens: 1 });
    await page.getByTestId('cost-estimate').getByText(new RegExp(`× ${epochs} epochs \\(automatic\\) × 2 credits per million tokens`)).waitFor();

    const download = await page.request.get(`${platform.url}${await page.getByRole('link', { name: 'Download' }).getAttribute('href')}`);
    expect(download.status()).toBe(200);
    expect((await download.body()).toString()).toContain('What is the capital of France?');
  });

  it('warns when the same content was uploaded before, linking the earlier dataset', async () => {
    const first = await getDb().dataset.findFirstOrThrow({ where: { organizationId: user.organization.id, filename: 'chat.jsonl' } });
    await upload('good/chat.jsonl');
    const again = await getDb().dataset.findFirstOrThrow({ where: { organizationId: user.organization.id, filename: 'chat.jsonl', id: { not: first.id } } });
    await page.goto(`${platform.url}/datasets/${again.id}`);
    const warning = page.getByTestId('dataset-duplicate');
    await warning.getByText('Uploaded before').waitFor();
    await warning.getByRole('link', { name: first.name }).click();
    await page.waitForURL(new RegExp(`/datasets/${first.id}$`));
    // The earlier upload is the original: no warning on it.
    await page.getByTestId('dataset-detail').waitFor();
    expect(await page.getByTestId('dataset-duplicate').count()).toBe(0);
    // The advice it gives: delete the copy (the later tests expect one chat.jsonl).
    await page.goto(`${platform.url}/datasets/${again.id}`);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/\/datasets$/);
    await expect.poll(() => getDb().dataset.count({ where: { id: again.id } })).toBe(0);
  });

  it("answers a model's runaway chat template with template_timeout, and the web server answers others meanwhile", async () => {
    await seedChatModel(user, { name: 'looping-chat', chatTemplate: "{% for i in range(2000) %}{% for j in range(2000) %}{% endfor %}{% endfor %}{{ messages[0]['content'] }}" });
    const dataset = await getDb().dataset.findFirstOrThrow({ where: { organizationId: user.organization.id, filename: 'chat.jsonl' } });
    const input = encodeURIComponent(JSON.stringify({ json: { id: dataset.id, model: 'looping-chat', limit: 1 } }));
    let settled = false;
    const preview = page.request.get(`${platform.url}/api/trpc/dataset.preview?input=${input}`).finally(() => (settled = true));
    const latencies: number[] = [];
    while (!settled) {
      const started = Date.now();
      expect((await fetch(`${platform.url}/api/health`)).status).toBe(200);
      latencies.push(Date.now() - started);
    }
    const response = await preview;
    expect(response.status()).toBe(400);
    const body = await response.text();
    expect(body).toContain('"reason":"template_timeout"');
    expect(body).toContain('longer than 2 s');
    expect(latencies.length).toBeGreaterThan(1);
    expect(Math.max(...latencies)).toBeLessThan(3000);
  });

  it('shows an invalid file\'s report with the finding\'s line, field and documented fix', async () => {
    await upload('bad/invalid_json.jsonl');
    const row = page.getByTestId('dataset-row').filter({ hasText: 'invalid_json.jsonl' });
    await row.and(page.locator('[data-status="INVALID"]')).waitFor({ timeout: 60_000 });
    await row.getByRole('link', { name: 'invalid_json.jsonl', exact: true }).click();
    await page.getByText('This file cannot be used for a fine-tune').waitFor();
    const code = page.locator('[data-testid="validation-code"][data-code="invalid_json"]');
    await code.locator('summary').focus();
    await page.keyboard.press('Enter');
    await code.locator('[data-testid="finding"][data-line="7"]').waitFor();
    await code.getByText('How to fix it').waitFor();
    await code.getByText(/json\.dumps/).waitFor();
  });

  it('continues an upload on its own after a dropped connection', async () => {
    const file = await bigChatFile('dropped', 40 * 1024 * 1024);
    const offsets: number[] = [];
    let patches = 0;
    await page.goto(`${platform.url}/datasets`);
    await page.route('**/api/uploads/*', async (route) => {
      const request = route.request();
      if (!isPatch(request.method(), request.url())) return route.continue();
      offsets.push(Number(request.headers()['upload-offset']));
      // The second chunk's connection drops once.
      if (++patches === 2) return route.abort('connectionreset');
      return route.continue();
    });
    try {
      await page.getByLabel('Dataset file').setInputFiles(file);
      await page.getByTestId('upload-transfer').waitFor();
      await page.getByText(`${path.basename(file)} uploaded; validating it now.`).waitFor({ timeout: 120_000 });
    } finally {
      await page.unrouteAll();
    }
    expect(offsets).toEqual([0, CHUNK, CHUNK, 2 * CHUNK]);
    const row = page.getByTestId('dataset-row').filter({ hasText: path.basename(file) });
    await row.and(page.locator('[data-status="VALID"]')).waitFor({ timeout: 60_000 });
  });

  it('resumes an upload after a page reload from where the server stopped', async () => {
    const file = await bigChatFile('reloaded', 40 * 1024 * 1024);
    let patches = 0;
    await page.goto(`${platform.url}/datasets`);
    // The network goes down after the first chunk; the person reloads the page.
    await page.route('**/api/uploads/*', async (route) => {
      const request = route.request();
      if (!isPatch(request.method(), request.url())) return route.continue();
      return ++patches === 1 ? route.continue() : route.abort('internetdisconnected');
    });
    await page.getByLabel('Dataset file').setInputFiles(file);
    await expect.poll(() => patches, { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
    await page.unrouteAll();
    await page.reload();
    await page.getByTestId('unfinished-uploads').getByText(path.basename(file)).waitFor();

    const offsets: number[] = [];
    page.on('request', (request) => {
      if (isPatch(request.method(), request.url())) offsets.push(Number(request.headers()['upload-offset']));
    });
    await page.getByLabel('Dataset file').setInputFiles(file);
    await page.getByText(`${path.basename(file)} uploaded; validating it now.`).waitFor({ timeout: 120_000 });
    expect(offsets[0]).toBe(CHUNK);
    const row = page.getByTestId('dataset-row').filter({ hasText: path.basename(file) });
    await row.and(page.locator('[data-status="VALID"]')).waitFor({ timeout: 60_000 });
    await page.getByTestId('unfinished-uploads').waitFor({ state: 'detached' });
  });

  it('refuses to delete a dataset a training job uses, and deletes one that no job uses', async () => {
    const db = getDb();
    const used = await db.dataset.findFirstOrThrow({ where: { projectId: user.project.id, filename: 'chat.jsonl' } });
    const model = await db.baseModel.findFirstOrThrow({ where: { organizationId: user.organization.id } });
    const job = await db.trainingJob.create({
      data: { organizationId: user.organization.id, projectId: user.project.id, baseModelId: model.id, trainingDatasetId: used.id, hyperparameters: {}, seed: 1 },
    });

    await page.goto(`${platform.url}/datasets`);
    const row = page.getByTestId('dataset-row').filter({ hasText: 'chat.jsonl' });
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText(new RegExp(`used by 1 training job \\(${job.id}\\)`)).waitFor();
    expect(await db.dataset.findUnique({ where: { id: used.id } })).not.toBeNull();
    await page.keyboard.press('Escape');

    const invalid = page.getByTestId('dataset-row').filter({ hasText: 'invalid_json.jsonl' });
    await invalid.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Dataset "invalid_json.jsonl" deleted').waitFor();
    await invalid.waitFor({ state: 'detached' });
  });
});
