// The dashboard as a new user meets it, in one browser on one web process: sign-up's field errors
// as sentences before any round trip; every dashboard page at 1440 px and 390 px wide on a
// populated organization, none wider than the viewport (document.documentElement.scrollWidth),
// none logging a console error and the main ones without a serious axe-core violation; the job
// page's status, progress, chart and events as one state, and a finished job's actual cost and
// tokens.
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { getDb } from '@/server/db';
import { stopBoss } from '@/server/queue/boss';
import type { Platform } from '@/scripts/lib/supervisor';
import { launchBrowser, signIn } from '@/tests/helpers/browser';
import { createTestKey, createTestUser, type TestUser } from '@/tests/helpers/factories';
import { startWeb } from '@/tests/helpers/web';
import { seedDashboard, watchConsole } from '@/tests/kit/dashboard';

let web: Platform;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
let user: TestUser;
let world: Awaited<ReturnType<typeof seedDashboard>>;
let errors: string[];
let heartbeat: NodeJS.Timeout | undefined;
const tag = Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  // An administrator, so that the admin page is among those measured.
  user = await createTestUser({ admin: true });
  world = await seedDashboard(user, tag);
  // The running job heartbeats as a runner's does, so no worker of the run takes it for lapsed.
  heartbeat = setInterval(() => void getDb().trainingJob.update({ where: { id: world.runningRaw }, data: { heartbeatAt: new Date() } }).catch(() => undefined), 2_000);
  web = await startWeb();
  ({ browser, close: closeBrowser } = await launchBrowser());
  page = await browser.newPage();
  page.setDefaultTimeout(30_000);
  errors = watchConsole(page);
}, 300_000);

afterAll(async () => {
  clearInterval(heartbeat);
  await closeBrowser?.();
  await web?.stop();
  await stopBoss();
});

const pages = () => [
  '/datasets',
  `/datasets/${world.dataset.id}`,
  '/jobs',
  '/jobs/new',
  `/jobs/${world.running}`,
  `/jobs/${world.done}`,
  `/jobs/compare?ids=${world.running},${world.done}`,
  '/evaluations',
  `/evaluations/${world.evalRun}`,
  '/models',
  '/playground',
  '/api-keys',
  '/usage',
  '/settings',
  '/settings/members',
  '/settings/organization',
  '/admin',
];

/** Loads a page, waits for its main heading and for its data to settle, and measures its width. */
async function measure(path: string, width: number) {
  await page.goto(`${web.url}${path}`);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await page.waitForLoadState('networkidle').catch(() => undefined);
  // Tables and charts render after their queries: wait until no skeleton is left.
  await page.waitForFunction(() => !document.querySelector('[data-slot="skeleton"], .animate-pulse'), null, { timeout: 15_000 }).catch(() => undefined);
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    // The outermost elements that reach past the viewport, to say what overflows.
    const culprits = [...document.querySelectorAll('main *')]
      .filter((el) => el.getBoundingClientRect().right > width + 0.5 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > width + 0.5))
      .slice(0, 3)
      .map((el) => `<${el.tagName.toLowerCase()} class="${String(el.getAttribute('class') ?? '').slice(0, 80)}">`);
    return { scrollWidth: document.documentElement.scrollWidth, culprits };
  });
}

describe('sign-up', () => {
  it('shows each field error as a sentence before sending anything, and the server\'s own sentence after', async () => {
    const signUps: string[] = [];
    const count = (request: import('playwright-core').Request) => {
      if (request.url().includes('auth.signUp')) signUps.push(request.url());
    };
    page.on('request', count);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${web.url}/sign-up`);
    const submit = page.getByRole('button', { name: 'Create account' });
    await submit.click();
    await page.getByText('Enter your e-mail address.').waitFor();
    await page.getByText('Choose a password.').waitFor();
    await page.getByLabel('E-mail').fill('ab');
    await page.getByLabel(/^Password/).fill('short');
    await page.getByLabel('Confirm password').fill('short');
    await submit.click();
    await page.getByText('Enter a valid e-mail address, like name@example.com.').waitFor();
    await page.getByText('Use at least 10 characters.').waitFor();
    expect(await page.getByLabel('E-mail').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel(/^Password/).fill('abcdefghijk');
    await page.getByLabel('Confirm password').fill('abcdefghijkl');
    await submit.click();
    await page.getByText('Mix letters with digits or symbols, or use 16 or more characters.').waitFor();
    await page.getByText('The passwords do not match.').waitFor();
    expect(signUps).toEqual([]);
    expect(await page.getByText(/Too small|expected string/).count()).toBe(0);

    // What only the server knows comes back as its sentence, on its field.
    await page.getByLabel('E-mail').fill(user.email);
    await page.getByLabel(/^Password/).fill('correct-Horse-battery-9');
    await page.getByLabel('Confirm password').fill('correct-Horse-battery-9');
    await submit.click();
    await page.getByText('An account with this e-mail already exists', { exact: false }).waitFor();
    expect(signUps.length).toBe(1);
    page.off('request', count);
    // Chromium logs the 409 that answered the taken address; it was the answer this test asked for.
    expect(errors).toEqual([expect.stringMatching(/status of 409/)]);
    errors.length = 0;
    await signIn(page, web.url, user.email);
  });
});

/** The main pages, checked with axe-core at 1440 px on the same visit that measures them. */
const axePages = () => new Set(['/datasets', `/datasets/${world.dataset.id}`, '/jobs', '/jobs/new', `/jobs/${world.running}`, '/models', '/playground', '/api-keys', '/settings']);

describe.each([1440, 390])('every dashboard page at %i px', (width) => {
  const axe = width === 1440;
  it(`is no wider than the viewport and logs no console error${axe ? '; the main pages have no serious or critical axe-core violation (WCAG 2 A and AA)' : ''}`, async () => {
    await page.setViewportSize({ width, height: width > 800 ? 900 : 844 });
    const wide: string[] = [];
    const violations: string[] = [];
    const checked = axe ? axePages() : new Set<string>();
    for (const path of pages()) {
      const { scrollWidth, culprits } = await measure(path, width);
      if (scrollWidth > width) wide.push(`${path} is ${scrollWidth} px wide: ${culprits.join(' ')}`);
      if (!checked.delete(path)) continue;
      const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      for (const v of results.violations) {
        if (v.impact === 'serious' || v.impact === 'critical') violations.push(`${path}: ${v.id} (${v.impact}, ${v.nodes.length}×) ${v.nodes[0]?.target.join(' ')}: ${v.help}`);
      }
    }
    // Every page meant for axe was among those visited.
    expect([...checked]).toEqual([]);
    expect({ wide, errors, violations }).toEqual({ wide: [], errors: [], violations: [] });
  }, 300_000);
});

describe('accessibility', () => {
  it('moves focus to the new page\'s main heading after a client-side navigation, and titles cards with headings', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${web.url}/datasets`);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    for (const [label, path] of [['Jobs', /\/jobs$/], ['Usage & billing', /\/usage$/]] as const) {
      await page.getByRole('navigation').getByRole('link', { name: label, exact: true }).first().click();
      await page.waitForURL(path);
      await page.waitForFunction(() => document.activeElement?.tagName === 'H1', null, { timeout: 10_000 });
      const focused = await page.evaluate(() => ({ text: document.activeElement?.textContent ?? '', inMain: !!document.activeElement?.closest('main') }));
      expect(focused.inMain, `focus after opening ${label}`).toBe(true);
      expect(focused.text.length).toBeGreaterThan(0);
    }
    // The usage page is made of cards: each card title is a heading element a screen reader lists.
    const titles = await page.locator('main [data-slot="card-title"]').evaluateAll((elements) => elements.map((el) => el.tagName));
    expect(titles.length).toBeGreaterThan(0);
    for (const tag of titles) expect(tag).toMatch(/^H[1-6]$/);
  }, 120_000);
});

describe('keyboard', () => {
  it('reaches every select of the new-job form on the first pass of Tab', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await measure('/jobs/new', 1440);
    const selects = await page.locator('main [role="combobox"]:visible, main select:not([aria-hidden="true"]):not([tabindex="-1"]):visible').evaluateAll((elements) =>
      elements.map((el, i) => {
        el.setAttribute('data-tab-probe', String(i));
        return String(i);
      }),
    );
    expect(selects.length).toBeGreaterThan(1);
    const reached = new Set<string>();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    // One pass: stop when focus wraps back to the document or after 80 stops.
    for (let stop = 0; stop < 80; stop++) {
      await page.keyboard.press('Tab');
      const probe = await page.evaluate(() => document.activeElement?.getAttribute('data-tab-probe') ?? (document.activeElement === document.body ? 'body' : null));
      if (probe === 'body' && stop > 0) break;
      if (probe && probe !== 'body') reached.add(probe);
    }
    const missed = await page.locator('[data-tab-probe]').evaluateAll((elements, hit) => elements.filter((el) => !hit.includes(el.getAttribute('data-tab-probe')!)).map((el) => el.outerHTML.slice(0, 160)), [...reached]);
    expect(missed).toEqual([]);
  }, 120_000);
});

describe('the job page', () => {
  it('shows status, progress, chart and events from one state when the row lags the stream', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${web.url}/jobs/${world.lagging}`);
    const detail = page.locator(`[data-testid="job-detail"][data-job="${world.lagging}"]`);
    await page.locator('[data-testid="loss-chart"][data-points="7"]').waitFor();
    expect(await detail.getAttribute('data-status')).toBe('running');
    await page.getByText('Step 7 of 10').waitFor();
    expect(await page.getByText('Step 1 of 10').count()).toBe(0);
    expect(await page.getByTestId('job-progress').getByRole('progressbar').getAttribute('aria-valuenow')).toBe('70');
    expect(await page.getByTestId('job-event').first().getAttribute('data-seq')).toBe('7');
  });

  it('shows a finished job\'s cost from the ledger and its trained tokens, each labelled', async () => {
    await page.goto(`${web.url}/jobs/${world.done}`);
    const cost = page.locator('[data-testid="job-cost"][data-final="true"]');
    await cost.getByText('Cost', { exact: true }).waitFor();
    await cost.getByText('0.000612', { exact: true }).waitFor();
    await cost.getByText('Charged, from the ledger').waitFor();
    expect(await page.getByText('Estimated cost').count()).toBe(0);
    await page.getByText('9,000', { exact: true }).waitFor();
  });

  it('offers each checkpoint under the name it keeps after the job ends', async () => {
    await page.goto(`${web.url}/jobs/${world.running}`);
    const name = page.locator('[data-testid="job-checkpoint"][data-step="5"]').getByText(/:ckpt-step-5$/);
    await name.waitFor();
    expect(await name.textContent()).toBe(`ft:${world.model.name}:${user.organization.slug}:run-${tag}:${world.runningRaw}:ckpt-step-5`);
  });

  it('deletes an ended job from its page, keeping its fine-tuned model; a running job offers cancel instead', async () => {
    await page.goto(`${web.url}/jobs/${world.running}`);
    await page.getByRole('button', { name: 'Cancel job' }).waitFor();
    expect(await page.getByRole('button', { name: 'Delete job' }).count()).toBe(0);
    await page.goto(`${web.url}/jobs/${world.done}`);
    await page.getByRole('button', { name: 'Delete job' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByText('stays and can still be called').waitFor();
    await dialog.getByRole('button', { name: 'Delete job' }).click();
    await page.waitForURL(/\/jobs$/);
    await page.getByText(`Job ${world.done} deleted`).waitFor();
    await page.locator(`[data-testid="job-row"][data-job="${world.running}"]`).waitFor();
    expect(await page.locator(`[data-testid="job-row"][data-job="${world.done}"]`).count()).toBe(0);
    expect(await getDb().trainingJob.findUnique({ where: { id: world.doneRaw } })).toBeNull();
    expect(await getDb().fineTunedModel.count({ where: { name: { startsWith: `ft:${world.model.name}:` }, jobId: null } })).toBe(1);
  });
});

describe('invitations', () => {
  it('shows a copyable invitation link when no SMTP server is configured, and the invite page names the organization and the inviter', async () => {
    const email = `invitee-${tag}@example.test`;
    await page.goto(`${web.url}/settings/members`);
    await page.getByLabel('E-mail').fill(email);
    await page.getByRole('button', { name: 'Send invitation' }).click();
    const link = page.getByTestId('invite-link');
    await link.waitFor();
    const url = (await link.getByRole('textbox').inputValue()).trim();
    expect(url).toMatch(new RegExp(`^${web.url}/invite/[\\w-]{20,}$`));
    await link.getByRole('button', { name: /Copy/ }).waitFor();

    await page.goto(url);
    const card = page.getByTestId('invitation');
    await card.getByText(user.organization.name, { exact: false }).waitFor();
    await card.getByText(user.email, { exact: false }).waitFor();
    await card.getByText(email, { exact: false }).waitFor();

    await getDb().invitation.updateMany({ where: { email }, data: { expiresAt: new Date(Date.now() - 60_000) } });
    await page.reload();
    await page.getByText('This invitation has expired.', { exact: false }).waitFor();
    await page.goto(`${web.url}/invite/not-a-real-invitation-token`);
    await page.getByText('This invitation link is not valid.', { exact: false }).waitFor();
  });
});


describe('jobs list', () => {
  const rows = () => page.getByTestId('job-row');
  const row = (id: string) => page.locator(`[data-testid="job-row"][data-job="${id}"]`);

  it('names each job by its suffix, with its duration and cost, and filters by search and status', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${web.url}/jobs`);
    await row(world.running).getByTestId('job-name').getByText(`run-${tag}`, { exact: true }).waitFor();
    expect(await row(world.running).getByTestId('job-duration').textContent()).toMatch(/\d+m/);
    expect(await row(world.running).getByTestId('job-cost').textContent()).toBe('≈ 0.01');
    expect(await rows().count()).toBe(2);

    await page.getByLabel('Search').fill(`LAG-${tag}`);
    await expect.poll(() => rows().count()).toBe(1);
    await row(world.lagging).waitFor();
    await page.getByLabel('Search').fill(world.running.slice(-8));
    await expect.poll(() => rows().count()).toBe(1);
    await row(world.running).waitFor();
    await page.getByLabel('Search').fill('');
    await expect.poll(() => rows().count()).toBe(2);

    // The status select by keyboard: focus, open, choose.
    await page.getByLabel('Status').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('option', { name: 'Queued' }).click();
    await expect.poll(() => rows().count()).toBe(1);
    await row(world.lagging).waitFor();
    await page.getByLabel('Search').fill('no-such-job');
    await page.getByTestId('jobs-none-match').waitFor();
    await page.getByRole('button', { name: 'Clear the filters' }).click();
    await expect.poll(() => rows().count()).toBe(2);
  });
});

describe('new job form', () => {
  it('does not offer the training file as its own validation file', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${web.url}/jobs/new`);
    await page.getByLabel('Training file').click();
    await page.getByRole('option', { name: world.dataset.name }).click();
    await page.getByLabel('Validation file').click();
    await page.getByRole('option', { name: 'None' }).waitFor();
    expect(await page.getByRole('option', { name: world.dataset.name }).count()).toBe(0);
    await page.keyboard.press('Escape');
  });
});

describe('first-run checklist', () => {
  it('greets a new user on the landing page, offers the sample dataset and ticks steps off as they are taken', async () => {
    const newcomer = await createTestUser();
    // This test answers for its own console only: what earlier tests of the file left is theirs.
    errors.length = 0;
    await browser.clearCookies();
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(page, web.url, newcomer.email);
    const checklist = page.getByTestId('first-run-checklist');
    await checklist.getByRole('heading', { name: 'Get started with Lathe' }).waitFor();
    const step = (key: string, done: boolean) => checklist.locator(`[data-testid="checklist-step"][data-step="${key}"][data-done="${done}"]`);
    for (const key of ['credits', 'dataset', 'job', 'chat', 'apiKey']) await step(key, false).waitFor();

    await checklist.getByRole('button', { name: 'Use the sample dataset' }).click();
    await step('dataset', true).waitFor();
    await page.getByText('sample-short-answers.jsonl').first().waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    await createTestKey(newcomer);
    await page.reload();
    await step('apiKey', true).waitFor();
    await step('job', false).waitFor();
    expect(errors).toEqual([]);
  });
});
