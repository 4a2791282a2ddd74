// Screenshots of the dashboard's main pages at 1440 px and 390 px wide, for the docs site's tour
// page (content/docs/tour.mdx), so the tour shows the dashboard as it is now.
//   npx tsx scripts/docs/screenshots.ts            writes public/docs/tour/<page>-<width>.png
//   npx tsx scripts/docs/screenshots.ts --out DIR  writes them elsewhere
// It runs the real web process on a database of its own, filled with a sample organization (a
// validated dataset, a base model, a running and a finished job), and signs in through the form.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { disconnectDb } from '@/server/db';
import { stopBoss } from '@/server/queue/boss';
import { startPlatform, type Platform } from '@/scripts/lib/supervisor';
import { createTestDatabase } from '@/tests/setup/database';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const WIDTHS = [1440, 390] as const;

export type TourPage = { slug: string; title: string; path: (world: World) => string };
type World = { dataset: string; running: string; done: string };

/** The pages the tour shows, in its order. */
export const TOUR_PAGES: readonly TourPage[] = [
  { slug: 'datasets', title: 'Datasets', path: () => '/datasets' },
  { slug: 'dataset', title: 'A dataset', path: (w) => `/datasets/${w.dataset}` },
  { slug: 'new-job', title: 'New fine-tuning job', path: () => '/jobs/new' },
  { slug: 'jobs', title: 'Fine-tuning jobs', path: () => '/jobs' },
  { slug: 'job-running', title: 'A running job', path: (w) => `/jobs/${w.running}` },
  { slug: 'job-finished', title: 'A finished job', path: (w) => `/jobs/${w.done}` },
  { slug: 'compare', title: 'Comparing runs', path: (w) => `/jobs/compare?ids=${w.running},${w.done}` },
  { slug: 'models', title: 'Models', path: () => '/models' },
  { slug: 'playground', title: 'Playground', path: () => '/playground' },
  { slug: 'api-keys', title: 'API keys', path: () => '/api-keys' },
  { slug: 'usage', title: 'Usage & billing', path: () => '/usage' },
  { slug: 'settings', title: 'Settings', path: () => '/settings' },
];

async function main() {
  const outIndex = process.argv.indexOf('--out');
  const out = path.resolve(outIndex > 0 ? process.argv[outIndex + 1]! : path.join(ROOT, 'public/docs/tour'));
  fs.mkdirSync(out, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-tour-'));
  const database = await createTestDatabase(path.join(ROOT, '.lathe-test'));
  process.env.DATABASE_URL = database.url;
  process.env.LATHE_DATA_DIR = dataDir;
  process.env.AUTH_SECRET ??= randomBytes(32).toString('hex');
  let platform: Platform | undefined;
  let closeBrowser: (() => Promise<void>) | undefined;
  try {
    // Imported after the environment is set: they read DATABASE_URL and LATHE_DATA_DIR.
    const { createTestUser } = await import('@/tests/helpers/factories');
    const { seedDashboard } = await import('@/tests/kit/dashboard');
    const { launchBrowser, signIn } = await import('@/tests/helpers/browser');
    const user = await createTestUser();
    const seeded = await seedDashboard(user, 'tour');
    const world: World = { dataset: seeded.dataset.id, running: seeded.running, done: seeded.done };
    platform = await startPlatform({ processes: ['web'], port: 0, env: { LOG_LEVEL: 'warn' }, log: () => undefined });
    const launched = await launchBrowser();
    closeBrowser = launched.close;
    const page = await launched.browser.newPage();
    page.setDefaultTimeout(30_000);
    await signIn(page, platform.url, user.email);
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width > 800 ? 900 : 844 });
      for (const tour of TOUR_PAGES) {
        await page.goto(`${platform.url}${tour.path(world)}`);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        await page.waitForLoadState('networkidle').catch(() => undefined);
        await page.waitForFunction(() => !document.querySelector('[data-slot="skeleton"], .animate-pulse'), null, { timeout: 15_000 }).catch(() => undefined);
        const file = path.join(out, `${tour.slug}-${width}.png`);
        await page.screenshot({ path: file, fullPage: width < 800 });
        console.log(path.relative(ROOT, file));
      }
    }
  } finally {
    await closeBrowser?.();
    await platform?.stop();
    await stopBoss().catch(() => undefined);
    await disconnectDb();
    await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
