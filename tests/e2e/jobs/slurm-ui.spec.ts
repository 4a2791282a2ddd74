// The Slurm panel on the job page and the partitions on the admin runner list, in the browser at
// 1440 and 390 px, on rows written the way a Slurm runner writes them (TrainingJob.slurm,
// Runner.slurmPartitions). Screenshots go to test-results/slurm-ui/.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { getDb } from '@/server/db';
import { expectFitsWidth, launchBrowser, signIn } from '@/tests/helpers/browser';
import { startWeb } from '@/tests/helpers/web';
import { createTestUser, type TestUser } from '@/tests/helpers/factories';
import type { Platform } from '@/scripts/lib/supervisor';

let web: Platform;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
let admin: TestUser;
let jobId: string;
let runnerName: string;
const shots = path.resolve('test-results', 'slurm-ui');
const tag = Math.random().toString(36).slice(2, 8);
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  admin = await createTestUser({ admin: true });
  const db = getDb();
  const scope = { organizationId: admin.organization.id, projectId: admin.project.id };
  const model = await db.baseModel.create({
    data: { ...scope, name: `tiny-slurm-${tag}`, source: 'FOLDER', status: 'READY', progress: 1, details: { trainable: true }, artifacts: { hf: { files: { 'config.json': { sha256: sha('config'), size: 512 } } }, gguf: { sha256: sha('gguf'), size: 4096, type: 'F32' } } },
  });
  const dataset = await db.dataset.create({ data: { ...scope, name: `train-${tag}`, filename: 'train.jsonl', status: 'VALID', format: 'chat', sizeBytes: 4096n, sha256: sha(tag), examples: 40 } });
  runnerName = `login-${tag}`;
  const runner = await db.runner.create({
    data: {
      name: runnerName,
      hostname: 'login01.cluster.example',
      gpus: [],
      memoryBytes: 1n,
      executor: 'slurm',
      slurmPartitions: [
        { name: 'gpu', default: true, nodes: [{ name: 'gpu-a100-node001', state: 'mixed', cpus: 64, gres: 'gpu:a100:8' }, { name: 'gpu-a100-node002', state: 'drained', cpus: 64, gres: 'gpu:a100:8' }] },
        { name: 'cpu-long', default: false, nodes: [{ name: 'cpu001', state: 'idle', cpus: 128, gres: null }] },
      ],
    },
  });
  const job = await db.trainingJob.create({
    data: {
      ...scope,
      baseModelId: model.id,
      trainingDatasetId: dataset.id,
      status: 'failed',
      suffix: 'slurm',
      hyperparameters: { n_epochs: 2, batch_size: 4, learning_rate_multiplier: 1 },
      seed: 7,
      startedAt: new Date(),
      finishedAt: new Date(),
      runnerId: runner.id,
      error: { code: 'slurm_timeout', message: 'The Slurm job 48213 reached its time limit of 00:30:00 at step 120 and Slurm stopped it (TIMEOUT). Ask for a longer time limit or train fewer steps.', param: null },
      slurm: { jobId: '48213', partition: 'gpu', nodes: 'gpu-a100-node[001-004]', state: 'TIMEOUT', offset: 9120, seq: 40 },
    },
  });
  jobId = `ftjob-${job.id}`;
  web = await startWeb();
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  await signIn(page, web.url, admin.email);
}, 300_000);

afterAll(async () => {
  await closeBrowser?.();
  await web?.stop();
});

describe('Slurm in the dashboard', () => {
  for (const width of [1440, 390]) {
    it(`shows the job's Slurm job id, partition, nodes and state at ${width} px`, async () => {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${web.url}/jobs/${jobId}`);
      const panel = page.getByTestId('job-slurm');
      await expect.poll(() => panel.textContent()).toContain('48213');
      const text = (await panel.textContent()) ?? '';
      for (const part of ['Slurm job', '48213', 'Partition', 'gpu', 'Nodes', 'gpu-a100-node[001-004]', 'State', 'TIMEOUT']) expect(text).toContain(part);
      expect(await page.getByText('reached its time limit of 00:30:00 at step 120').count()).toBeGreaterThan(0);
      await page.screenshot({ path: path.join(shots, `job-${width}.png`), fullPage: true });
      // Nothing in the panel runs past its edge (the page header's long job id is the header's own matter).
      expect(await panel.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    });

    it(`lists a Slurm runner's partitions with their nodes' states at ${width} px`, async () => {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${web.url}/admin`);
      const row = page.getByRole('row').filter({ hasText: runnerName });
      const partitions = row.getByTestId('runner-partitions');
      await expect.poll(() => partitions.textContent()).toContain('gpu (default)');
      const text = (await partitions.textContent()) ?? '';
      for (const part of ['gpu-a100-node001: mixed', 'gpu-a100-node002: drained', 'cpu-long', 'cpu001: idle']) expect(text).toContain(part);
      await page.screenshot({ path: path.join(shots, `runners-${width}.png`), fullPage: true });
      await expectFitsWidth(page, width, 'runners', { height: 900 });
    });
  }
});
