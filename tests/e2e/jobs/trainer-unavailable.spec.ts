// A platform whose only runner cannot train: web and gpu-runner started as `npm start` starts them,
// with LATHE_PYTHON naming something that is no Python. The start still succeeds and says why;
// the runner records it and claims no training jobs; the Jobs page shows the notice with the fix;
// creating a job over the OpenAI-compatible API answers 503 `trainer_unavailable`.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { useOwnDatabase } from '@/tests/helpers/own-database';
import { startPlatform, type Platform } from '@/scripts/lib/supervisor';
import { getDb } from '@/server/db';
import { grantCredits } from '@/server/services/credits/credits';
import { toApiFileId } from '@/server/services/training/openai-shapes';
import { launchBrowser, signIn } from '@/tests/helpers/browser';
import { createTestKey, createTestUser, type TestUser } from '@/tests/helpers/factories';

useOwnDatabase();

const REASON = 'LATHE_PYTHON=/usr/bin/false is not a working Python interpreter (it exited with code 1)';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const logs: string[] = [];
let platform: Platform;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let owner: TestUser;

beforeAll(async () => {
  try {
    platform = await startPlatform({
      processes: ['web', 'gpu-runner'],
      port: 0,
      restart: false,
      env: { LOG_LEVEL: 'warn', LATHE_PYTHON: '/usr/bin/false', LATHE_EXECUTOR: 'process', RUNNER_HEARTBEAT_MS: '1000' },
      log: (line) => logs.push(line),
    });
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${logs.slice(-40).join('\n')}`);
  }
  owner = await createTestUser();
  ({ browser, close: closeBrowser } = await launchBrowser());
}, 300_000);

afterAll(async () => {
  await closeBrowser?.();
  await platform?.stop();
});

describe('a platform that cannot train', () => {
  it('starts anyway and says why, with the command that fixes it', () => {
    expect(platform.trainer).toEqual({ available: false, executor: 'process', reason: REASON, fix: 'unset LATHE_PYTHON', attempts: [] });
  });

  it('has its runner record the problem, log it, and leave training jobs alone', async () => {
    await expect
      .poll(async () => (await getDb().runner.findFirst({ where: { status: 'ONLINE' }, select: { trainerProblem: true, trainerFix: true } })) ?? null, { timeout: 60_000, interval: 250 })
      .toEqual({ trainerProblem: REASON, trainerFix: 'unset LATHE_PYTHON' });
    await expect.poll(() => logs.join('\n'), { timeout: 10_000 }).toContain(`Training is unavailable: ${REASON}. Fix: unset LATHE_PYTHON (this runner serves models and claims no training jobs)`);
  });

  it('refuses jobs over the API with trainer_unavailable', async () => {
    const db = getDb();
    const scope = { organizationId: owner.organization.id, projectId: owner.project.id };
    const model = await db.baseModel.create({
      data: { ...scope, name: `tiny-untrainable-${Date.now()}`, source: 'FOLDER', status: 'READY', details: { trainable: true }, artifacts: { hf: { files: { 'config.json': { sha256: sha('config'), size: 512 } } } } },
    });
    const dataset = await db.dataset.create({ data: { ...scope, name: 'train', filename: 'train.jsonl', status: 'VALID', format: 'chat', sizeBytes: 4096n, sha256: sha('train'), examples: 40 } });
    await grantCredits({ db, organizationId: owner.organization.id, amount: 10, actor: { userId: null } });
    const res = await fetch(`${platform.url}/v1/fine_tuning/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await createTestKey(owner)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: model.name, training_file: toApiFileId(dataset.id) }),
    });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; type: string; message: string } };
    expect(body.error).toMatchObject({ code: 'trainer_unavailable', type: 'server_error' });
    expect(body.error.message).toMatch(new RegExp(`^Training is unavailable: ${REASON.replace(/[()]/g, '\\$&')} on runner \\S+\\. Fix: unset LATHE_PYTHON$`));
    expect(await db.trainingJob.count({ where: { organizationId: owner.organization.id } })).toBe(0);
  });

  it('shows the notice and the fix on the Jobs page', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    await signIn(page, platform.url, owner.email);
    await page.goto(`${platform.url}/jobs`);
    const notice = page.getByTestId('trainer-unavailable');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('Training is unavailable');
    expect(await notice.textContent()).toContain(REASON);
    expect(await page.getByTestId('trainer-fix').textContent()).toBe('unset LATHE_PYTHON');
    await page.close();
  });
});
