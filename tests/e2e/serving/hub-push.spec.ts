// Pushing a fine-tuned model to the Hugging Face Hub from its job page: the dialog works by
// keyboard, says in a sentence that the organization needs a token, queues the push once one is
// stored, and shows the pushed repo's link when the hub.push run (against a local Hub) is done.
// Screenshots at 1440 and 390 px go to LATHE_SCREENSHOTS when it is set; no width overflows.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { getDb } from '@/server/db';
import { stopBoss } from '@/server/queue/boss';
import { artifactStoreConfigFromEnv, createArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { storeFolder } from '@/server/services/artifacts/folders';
import { runHubPush } from '@/server/services/hub/push-service';
import { startFakeHub, type FakeHub } from '@/tests/fixtures/hub/fake-hub';
import { expectFitsWidth, launchBrowser, signIn } from '@/tests/helpers/browser';
import { callerFor, createTestUser, type TestUser } from '@/tests/helpers/factories';
import { startWeb } from '@/tests/helpers/web';
import { writeRandomAdapter, writeRandomModel } from '@/tests/kit/models/random-model';
import type { Platform } from '@/scripts/lib/supervisor';

const TOKEN = 'hf_lathe_ui_push_token';
let web: Platform;
let hub: FakeHub;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
let user: TestUser;
let jobId: string;
let root: string;
const tag = Math.random().toString(36).slice(2, 8);
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

async function seed(owner: TestUser) {
  const db = getDb();
  const scope = { organizationId: owner.organization.id, projectId: owner.project.id };
  const base = await writeRandomModel({ dir: path.join(root, 'base'), std: 0.1, seed: 5 });
  const adapter = await storeFolder(createArtifactStore(artifactStoreConfigFromEnv()), (await writeRandomAdapter({ dir: path.join(root, 'adapter'), base, r: 4, alpha: 8 })).dir);
  const model = await db.baseModel.create({
    data: {
      ...scope, name: `tiny-push-ui-${tag}`, source: 'FOLDER', status: 'READY', progress: 1, architecture: 'LlamaForCausalLM', parameters: 168_000n, contextLength: 256, chatTemplate: true,
      artifacts: { hf: { files: { 'config.json': { sha256: sha('config'), size: 512 } } }, gguf: { sha256: sha('gguf'), size: 4096, type: 'F32' } },
    },
  });
  const dataset = await db.dataset.create({ data: { ...scope, name: `chat-${tag}`, filename: `chat-${tag}.jsonl`, status: 'VALID', format: 'chat', sizeBytes: 4096n, sha256: sha('chat'), examples: 40 } });
  const job = await db.trainingJob.create({
    data: { ...scope, baseModelId: model.id, trainingDatasetId: dataset.id, status: 'succeeded', suffix: 'push-ui', seed: 7, finishedAt: new Date(), hyperparameters: { n_epochs: 2, batch_size: 4, learning_rate_multiplier: 1, preset: 'standard' } },
  });
  await db.fineTunedModel.create({ data: { ...scope, name: `ft:${model.name}:${scope.organizationId}:push-ui:${job.id}`, baseModelId: model.id, jobId: job.id, artifacts: { adapter } } });
  return `ftjob-${job.id}`;
}

async function shoot(name: string) {
  for (const width of [1440, 390]) {
    await expectFitsWidth(page, width, name, { height: 900 });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lathe-push-ui-'));
  user = await createTestUser();
  jobId = await seed(user);
  hub = await startFakeHub({ repos: [], token: TOKEN, push: { user: 'alice', orgs: ['acme'] } });
  web = await startWeb();
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  await signIn(page, web.url, user.email);
}, 300_000);

afterAll(async () => {
  await closeBrowser?.();
  await web?.stop();
  await hub?.close();
  await stopBoss();
  await rm(root, { recursive: true, force: true });
});

describe('push to the Hugging Face Hub from the job page', () => {
  it('explains a missing token in the dialog, then queues and shows the pushed repo', async () => {
    await page.goto(`${web.url}/jobs/${jobId}`);
    await page.getByRole('button', { name: 'Push to Hugging Face Hub' }).click();
    const repo = page.getByRole('textbox', { name: /^Repository/ });
    await repo.waitFor();
    await repo.fill('acme/ui-model');
    await shoot('hub-push-dialog');
    await repo.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'Hugging Face token' }).waitFor();
    await shoot('hub-push-no-token');

    await callerFor(user).organization.hubToken.set({ token: TOKEN });
    await page.getByRole('button', { name: 'Push', exact: true }).click();
    await page.getByTestId('hub-push-status').filter({ hasText: 'acme/ui-model' }).waitFor();
    const row = await getDb().hubPush.findFirstOrThrow({ where: { organizationId: user.organization.id, repo: 'acme/ui-model' } });
    expect(row).toMatchObject({ status: 'queued', kind: 'adapter', private: true });

    expect(await runHubPush(row.id, { hubUrl: hub.url })).toMatchObject({ status: 'succeeded' });
    await page.getByTestId('hub-push-status').getByRole('link', { name: 'acme/ui-model' }).waitFor();
    expect([...hub.pushed.get('acme/ui-model')!.files.keys()].sort()).toEqual(['README.md', 'adapter_config.json', 'adapter_model.safetensors']);
    await shoot('hub-push-done');
  }, 180_000);
});
