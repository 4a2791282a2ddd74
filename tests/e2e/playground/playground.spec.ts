// The playground in the browser, on one web process and a real inference server (a random tiny
// model as GGUF) that the test publishes as the deployment a runner would: the model picker grouped
// by base model and by job, searched by keyboard; a first message that waits for the model in
// words ("Waiting for a runner…", "Loading … on a runner…") until it is ready; side by side turned
// on mid-conversation, both panes sending the same history and "View code" showing both models;
// and saved presets (save, share, use, update, delete, another member's shared one) with their
// prompt and parameters in "View code"; a failed deployment's reason. At 1440 and 390 px, none wider than the viewport, and no
// console error.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { getDb } from '@/server/db';
import { stopBoss } from '@/server/queue/boss';
import { runConversion } from '@/server/services/model-format/convert/run-conversion';
import { fineTunedModelName } from '@/server/services/training/openai-shapes';
import { startInferenceServer, type InferenceServerHandle } from '@/gpu-runner/inference/supervisor';
import type { Platform } from '@/scripts/lib/supervisor';
import { expectFitsWidth, launchBrowser, signIn } from '@/tests/helpers/browser';
import { callerFor, createTestUser, joinOrganization, type TestUser } from '@/tests/helpers/factories';
import { platformInternalToken } from '@/tests/helpers/serving';
import { startWeb } from '@/tests/helpers/web';
import { seedDashboard, watchConsole } from '@/tests/kit/dashboard';
import { CHATML_TEMPLATE, writeRandomModel } from '@/tests/kit/models/random-model';

let web: Platform;
let inference: InferenceServerHandle;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
let user: TestUser;
let member: TestUser;
let world: Awaited<ReturnType<typeof seedDashboard>>;
let root: string;
let errors: string[];
const tag = Math.random().toString(36).slice(2, 8);
const alias = `chat-${tag}`;
const names = { tuned: '', doneCheckpoint: '', runningCheckpoint: '' };
/** The bodies the browser posts to the playground's chat route, as sent. */
const sent: { model: string; messages: { role: string; content: string }[]; temperature: number; top_p: number; max_tokens: number }[] = [];

const adapterFiles = { files: { 'adapter_model.safetensors': { sha256: 'a'.repeat(64), size: 1024 } } };

beforeAll(async () => {
  user = await createTestUser();
  world = await seedDashboard(user, tag);
  const db = getDb();
  // Checkpoints with a stored adapter, as the runner records them, so the picker lists them.
  await db.checkpoint.updateMany({ where: { jobId: { in: [world.doneRaw, world.runningRaw] } }, data: { artifacts: adapterFiles } });
  const tuned = await db.fineTunedModel.findFirstOrThrow({ where: { jobId: world.doneRaw } });
  names.tuned = tuned.name;
  names.doneCheckpoint = `${tuned.name}:ckpt-step-10`;
  names.runningCheckpoint = `${fineTunedModelName(world.model.name, user.organization.slug, `run-${tag}`, world.runningRaw)}:ckpt-step-5`;
  await db.modelAlias.create({ data: { organizationId: user.organization.id, projectId: user.project.id, name: alias, target: world.model.name } });

  root = await mkdtemp(path.join(os.tmpdir(), 'lathe-playground-'));
  const model = await writeRandomModel({ dir: path.join(root, 'model'), std: 0.1, seed: 11, chatTemplate: CHATML_TEMPLATE });
  const gguf = path.join(root, 'model.gguf');
  await runConversion({ kind: 'model', modelDir: model.dir, outFile: gguf, type: 'F32' });

  web = await startWeb();
  // Serves the seeded base model under its name, with the token the web process proxies with.
  inference = await startInferenceServer({ modelGguf: gguf, name: world.model.name, token: platformInternalToken(), threads: 1, restart: false });
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  page.setDefaultTimeout(30_000);
  errors = watchConsole(page);
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/playground') sent.push(request.postDataJSON() as (typeof sent)[number]);
  });
  await signIn(page, web.url, user.email);
}, 300_000);

afterAll(async () => {
  await closeBrowser?.();
  await inference?.stop();
  await web?.stop();
  await stopBoss();
  if (root) await rm(root, { recursive: true, force: true });
});

const panes = () => page.getByTestId('playground-pane');
const picker = (i: number) => page.getByTestId(`model-select-${i}`);
const option = (name: string) => page.locator(`[role="option"][data-model="${name}"]`);

async function fits(name: string) {
  for (const [width, height] of [
    [1440, 900],
    [390, 844],
  ] as const) {
    await expectFitsWidth(page, width, name, { height });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

async function box(locator: Locator) {
  const b = await locator.boundingBox();
  if (!b) throw new Error('not visible');
  return { left: b.x, right: b.x + b.width, top: b.y, bottom: b.y + b.height };
}

/** Every control of each pane lies inside that pane, and panes on one row do not overlap. */
async function expectPanesApart() {
  const boxes = [await box(panes().nth(0)), await box(panes().nth(1))];
  for (const [i, pane] of boxes.entries()) {
    for (const control of await panes().nth(i).locator('button, input, textarea, [role="combobox"]').all()) {
      const b = await box(control);
      expect(b.left).toBeGreaterThanOrEqual(pane.left - 0.5);
      expect(b.right).toBeLessThanOrEqual(pane.right + 0.5);
    }
  }
  const [a, b] = boxes as [Awaited<ReturnType<typeof box>>, Awaited<ReturnType<typeof box>>];
  const sameRow = a.top < b.bottom && b.top < a.bottom;
  if (sameRow) expect(a.right).toBeLessThanOrEqual(b.left);
  else expect(a.bottom).toBeLessThanOrEqual(b.top);
}

async function choose(i: number, name: string) {
  await picker(i).click();
  await page.getByTestId(`model-select-${i}-search`).fill(name);
  await option(name).click();
  expect(await picker(i).textContent()).toContain(name);
}

describe('playground', () => {
  it('groups the models by base model and by job, and finds one by keyboard', async () => {
    await page.goto(`${web.url}/playground`);
    await picker(0).focus();
    await page.keyboard.press('ArrowDown');
    const search = page.getByTestId('model-select-0-search');
    await search.waitFor();
    expect(await search.evaluate((el) => el === document.activeElement)).toBe(true);

    const base = page.locator(`[data-testid="picker-base-group"][data-base-model="${world.model.name}"]`);
    expect(await base.getAttribute('aria-label')).toBe(`Base model ${world.model.name}`);
    // The base model and the alias that points at it sit in its group; each job holds its models.
    expect(await base.locator(':scope > [role="option"]').evaluateAll((els) => els.map((el) => el.getAttribute('data-model')))).toEqual([world.model.name, alias]);
    const done = base.locator(`[data-testid="picker-job-group"][data-job="${world.done}"]`);
    expect(await done.getAttribute('aria-label')).toBe(`Job done-${tag}`);
    expect(await done.getByRole('option').evaluateAll((els) => els.map((el) => el.getAttribute('data-model')))).toEqual([names.tuned, names.doneCheckpoint]);
    const running = base.locator(`[data-testid="picker-job-group"][data-job="${world.running}"]`);
    expect(await running.getByRole('option').evaluateAll((els) => els.map((el) => el.getAttribute('data-model')))).toEqual([names.runningCheckpoint]);
    await fits('playground-picker');
    const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes[0]?.target.join(' ')}`)).toEqual([]);

    // Search by the job's name, move with the arrow keys, pick with Enter.
    await search.fill(`done-${tag} ckpt`);
    expect(await page.getByRole('option').count()).toBe(1);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    expect(await picker(0).textContent()).toContain(names.doneCheckpoint);
    expect(await picker(0).evaluate((el) => el === document.activeElement)).toBe(true);

    await page.keyboard.press('ArrowDown');
    await search.fill('no such model');
    await page.getByText('No model matches. Try part of a name, a base model or a job.').waitFor();
    await page.keyboard.press('Escape');
    expect(await search.count()).toBe(0);
    await choose(0, world.model.name);
  });

  it('says why the first message waits while its model wakes, then streams the reply', async () => {
    await page.getByTestId('model-state').getByText(`${world.model.name} is not loaded yet. Your first message starts it, which can take a minute.`).waitFor();
    await page.getByLabel('Maximum tokens').fill('8');
    await page.getByTestId('playground-input').fill('Hello!');
    await page.keyboard.press('Enter');
    await page.getByTestId('model-waking').getByText(`Waiting for a runner to load ${world.model.name}…`).waitFor();
    // The request itself asked for the deployment; the page follows its state.
    await page.locator('[data-testid="model-waking"][data-status="REQUESTED"]').waitFor();
    const deployment = await getDb().deployment.findFirstOrThrow({ where: { baseModelId: world.model.id, status: 'REQUESTED' } });
    await fits('playground-waking');

    // What a runner writes as it claims the deployment, then once its inference server answers.
    await getDb().deployment.update({ where: { id: deployment.id }, data: { status: 'LOADING' } });
    await page.getByTestId('model-waking').getByText(`Loading ${world.model.name} on a runner…`).waitFor();
    await getDb().deployment.update({ where: { id: deployment.id }, data: { status: 'READY', endpoint: inference.url } });
    await panes().nth(0).getByTestId('playground-reply').getByText(/completion tokens/).waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('model-waking').count()).toBe(0);
    await page.getByTestId('model-state').getByText(`${world.model.name} is loaded and ready to chat.`).waitFor();
  }, 120_000);

  it('turned on mid-conversation, side by side gives both panes the same history and sends it from both', async () => {
    const first = panes().nth(0);
    const history = await first.locator('[data-testid="playground-user"], [data-testid="playground-reply"]').allTextContents();
    await page.getByTestId('side-by-side').click();
    expect(await panes().count()).toBe(2);
    expect(await panes().nth(1).locator('[data-testid="playground-user"], [data-testid="playground-reply"]').allTextContents()).toEqual(history);
    await choose(1, alias);
    await expectPanesApart();
    await fits('playground-side-by-side');
    await page.setViewportSize({ width: 390, height: 844 });
    await expectPanesApart();
    await page.setViewportSize({ width: 1440, height: 900 });

    sent.length = 0;
    await page.getByTestId('playground-input').fill('Tell me more.');
    await page.getByTestId('playground-send').click();
    for (const i of [0, 1]) await panes().nth(i).getByTestId('playground-reply').nth(1).getByText(/completion tokens/).waitFor({ timeout: 60_000 });
    expect(sent.map((body) => body.model).sort()).toEqual([alias, world.model.name].sort());
    expect(sent[0]!.messages).toEqual(sent[1]!.messages);
    expect(sent[0]!.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(sent[0]!.messages.at(-1)).toEqual({ role: 'user', content: 'Tell me more.' });
  }, 150_000);

  it('shows code for both models side by side', async () => {
    await page.getByRole('button', { name: 'View code' }).click();
    const dialog = page.getByRole('dialog');
    const sections = dialog.getByTestId('code-for-model');
    expect(await sections.evaluateAll((els) => els.map((el) => el.getAttribute('data-model')))).toEqual([world.model.name, alias]);
    expect(await sections.nth(0).locator('code').textContent()).toContain(`"model": "${world.model.name}"`);
    expect(await sections.nth(1).locator('code').textContent()).toContain(`"model": "${alias}"`);
    await dialog.getByRole('heading', { name: `Code for ${alias}` }).waitFor();
    await dialog.getByRole('tab', { name: 'Python' }).click();
    await dialog.getByText(`model="${alias}"`).waitFor();
    await fits('playground-code-both');
    await page.keyboard.press('Escape');
    await page.getByTestId('side-by-side').click();
  });

  it('saves the prompt and parameters as a shared preset, by keyboard, and uses it again', async () => {
    await page.getByTestId('preset-controls').getByText('Set a system prompt and parameters, then save them as a preset to use them again.').waitFor();
    await page.getByLabel('System prompt').fill('You answer in one short sentence.');
    await page.getByLabel('Temperature').fill('0.3');
    await page.getByLabel('Top P').fill('0.9');
    await page.getByLabel('Maximum tokens').fill('32');
    await page.getByRole('button', { name: 'Save as preset' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Preset name').fill('Terse');
    await dialog.getByLabel('Share with the project').focus();
    await page.keyboard.press('Space');
    await dialog.getByLabel('Preset name').focus();
    await page.keyboard.press('Enter');
    await page.getByText('Saved preset Terse').waitFor();
    expect(await getDb().playgroundPreset.findFirstOrThrow({ where: { projectId: user.project.id, name: 'Terse' } })).toMatchObject({
      systemPrompt: 'You answer in one short sentence.',
      parameters: { temperature: 0.3, topP: 0.9, maxTokens: 32 },
      shared: true,
      createdById: user.user.id,
    });

    await page.getByTestId('preset-select').getByText('Terse (shared)', { exact: true }).waitFor();

    // Change the prompt and a parameter; the preset says so and restores itself by keyboard.
    await page.getByLabel('System prompt').fill('Something else');
    await page.getByLabel('Temperature').fill('1.5');
    await page.getByTestId('preset-changed').getByText('Changed since you chose it.').waitFor();
    await page.getByRole('button', { name: 'Restore Terse' }).focus();
    await page.keyboard.press('Enter');
    expect(await page.getByLabel('System prompt').inputValue()).toBe('You answer in one short sentence.');
    expect(await page.getByLabel('Temperature').inputValue()).toBe('0.3');
    expect(await page.getByTestId('preset-changed').count()).toBe(0);
    await fits('playground-presets');
  });

  it('shows the preset, its system prompt and its parameters in "View code"', async () => {
    await page.getByRole('button', { name: 'View code' }).click();
    const code = await page.getByRole('dialog').locator('code').first().textContent();
    expect(code).toMatch(/^# Preset: Terse\ncurl /);
    for (const part of ['"content": "You answer in one short sentence."', '"temperature": 0.3', '"top_p": 0.9', '"max_tokens": 32']) expect(code).toContain(part);
    await page.getByRole('dialog').getByRole('tab', { name: 'Node.js' }).click();
    await page.getByRole('dialog').getByText('// Preset: Terse').waitFor();
    await page.keyboard.press('Escape');
  });

  it('updates the preset, and refuses a second one of the same name in words, keeping what was typed', async () => {
    await page.getByLabel('Maximum tokens').fill('48');
    await page.getByRole('button', { name: 'Update preset' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.getByLabel('Preset name').inputValue()).toBe('Terse');
    await dialog.getByRole('button', { name: 'Update preset' }).click();
    await page.getByText('Updated preset Terse').waitFor();
    expect((await getDb().playgroundPreset.findFirstOrThrow({ where: { projectId: user.project.id, name: 'Terse' } })).parameters).toEqual({ temperature: 0.3, topP: 0.9, maxTokens: 48 });

    await page.getByRole('button', { name: 'Save as preset' }).click();
    await dialog.getByLabel('Preset name').fill('Terse');
    await dialog.getByRole('button', { name: 'Save preset' }).click();
    await dialog.getByRole('alert').getByText('You already have a preset named “Terse”. Choose another name, or update that one.').waitFor();
    expect(await dialog.getByLabel('Preset name').inputValue()).toBe('Terse');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it("offers another member's shared preset to use but not to change", async () => {
    member = await createTestUser();
    await joinOrganization(user, member, 'MEMBER');
    await callerFor(member, { requestedProjectId: user.project.id, projectExplicit: true }).playground.preset.create({
      name: 'Team voice',
      systemPrompt: 'You write like our support team.',
      parameters: { temperature: 0.5, topP: 1, maxTokens: 200 },
      shared: true,
    });
    await page.reload();
    // Chosen from the list by keyboard: open it, go to its last entry (the shared group), take it.
    // The list is enabled once the presets are read.
    await page.locator('[data-testid="preset-select"]:not([disabled])').focus();
    await page.keyboard.press('Enter');
    // Keys reach the list once it has put its highlight on an entry.
    await page.locator('[role="option"][data-highlighted]').waitFor();
    await page.keyboard.press('End');
    await page.getByRole('option', { name: `Team voice, by ${member.user.name || member.email}` }).and(page.locator('[data-highlighted]')).waitFor();
    await page.keyboard.press('Enter');
    await page.getByText(`Shared by ${member.user.name || member.email}. Save a copy to change it.`).waitFor();
    expect(await page.getByLabel('System prompt').inputValue()).toBe('You write like our support team.');
    expect(await page.getByRole('button', { name: 'Update preset' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Delete preset/ }).count()).toBe(0);
  });

  it('deletes its own preset', async () => {
    await page.getByTestId('preset-select').click();
    await page.getByRole('option', { name: 'Terse (shared)' }).click();
    await page.getByRole('button', { name: 'Delete preset Terse' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deleted preset Terse').waitFor();
    expect(await getDb().playgroundPreset.count({ where: { projectId: user.project.id, name: 'Terse' } })).toBe(0);
    expect(await page.getByLabel('System prompt').inputValue()).toBe('You answer in one short sentence.');
  });

  it("says why a model's deployment failed, and logged no console error on the way", async () => {
    await getDb().deployment.updateMany({ where: { baseModelId: world.model.id }, data: { status: 'FAILED', endpoint: null, error: 'the GGUF has no tokenizer' } });
    await page.reload();
    await page.locator('[data-testid="model-state"][data-status="FAILED"]').getByText(`${world.model.name} could not be loaded: the GGUF has no tokenizer`).waitFor();
    expect(errors).toEqual([]);
  });
});
