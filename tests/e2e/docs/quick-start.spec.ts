// The quick start, run as a reader would: its `doctest` code blocks are taken from
// content/docs/quick-start/index.mdx, files are written under their titles and the shell blocks run
// in order in one bash against a real platform (web, worker, gpu-runner with the fixture model).
// If the page's commands or code stop working, this fails.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedTinyModel } from '@/gpu-runner/trainer/python';
import { startPlatform, type Platform } from '@/scripts/lib/supervisor';
import { codeBlocks } from '@/scripts/docs/code-blocks';
import { useOwnDatabase } from '@/tests/helpers/own-database';

const ROOT = path.resolve('.');
const PAGE = path.join(ROOT, 'content/docs/quick-start/index.mdx');
let platform: Platform;
let workdir: string;
const logs: string[] = [];

// Its worker and runner processes must see only its own rows (tests/helpers/own-database.ts).
useOwnDatabase();

/**
 * `npx lathe` in the page runs this checkout's CLI. `lathe fixtures tiny-model` pretrains the
 * fixture, which its own tests cover; here it copies the copy cached for the whole suite.
 */
function npxShim(binDir: string, fixture: string) {
  fs.mkdirSync(binDir, { recursive: true });
  const script = `#!/usr/bin/env bash
set -euo pipefail
if [ "\${1:-}" != lathe ]; then echo "doc test: only 'npx lathe' is available, not 'npx $*'" >&2; exit 127; fi
shift
if [ "\${1:-}" = fixtures ] && [ "\${2:-}" = tiny-model ]; then
  out=tiny-model
  while [ $# -gt 0 ]; do if [ "$1" = --out ]; then out="$2"; shift; fi; shift; done
  rm -rf "$out" && cp -r ${JSON.stringify(fixture)} "$out"
  echo "tiny model written to $out"
  exit 0
fi
exec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(ROOT, 'bin/lathe.mjs'))} "$@"
`;
  fs.writeFileSync(path.join(binDir, 'npx'), script, { mode: 0o755 });
}

function runBash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: workdir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

beforeAll(async () => {
  // The page runs its commands in a checkout of Lathe. The test's own folder stands in for one: it
  // links every top-level entry of this checkout (so the CLI finds prisma/ and node_modules/, and
  // `import OpenAI from 'openai'` resolves as after `npm install openai`), while the files the page
  // creates stay in the folder and go with it.
  fs.mkdirSync(path.join(ROOT, '.lathe-test'), { recursive: true });
  workdir = fs.mkdtempSync(path.join(ROOT, '.lathe-test', 'quick-start-'));
  for (const entry of fs.readdirSync(ROOT)) {
    if (!['.git', '.lathe', '.lathe-test'].includes(entry)) fs.symlinkSync(path.join(ROOT, entry), path.join(workdir, entry));
  }
  npxShim(path.join(workdir, '.bin'), await cachedTinyModel());
  platform = await startPlatform({ port: 0, env: { LOG_LEVEL: 'warn', LATHE_EXECUTOR: 'process', RUNNER_CPUS: '1' }, log: (l) => logs.push(l) });
}, 600_000);

afterAll(async () => {
  await platform?.stop();
  if (workdir) fs.rmSync(workdir, { recursive: true, force: true });
});

describe('the quick start', () => {
  const blocks = codeBlocks(fs.readFileSync(PAGE, 'utf8'));
  const tested = blocks.filter((b) => b.doctest);

  it('marks the blocks a reader runs after `npm start`', () => {
    expect(tested.map((b) => b.title)).toEqual(['Terminal', 'Terminal', 'capitals.jsonl', 'fine-tune.mjs', 'Terminal']);
    // `npm start` and `npm test` are what the suite itself runs; they are shown, not re-run here.
    expect(blocks.filter((b) => !b.doctest).map((b) => b.code)).toEqual(['npm start', 'npm test']);
  });

  it('runs as written: a user, a key, credits, a model, a fine-tune and an answer', async () => {
    const shell = tested.filter((b) => b.lang === 'sh');
    for (const file of tested.filter((b) => b.lang !== 'sh')) fs.writeFileSync(path.join(workdir, file.title!), `${file.code}\n`);
    const script = ['set -euo pipefail', ...shell.map((b) => b.code)].join('\n');
    const result = await runBash(script, {
      ...process.env,
      PATH: `${path.join(workdir, '.bin')}:${process.env.PATH}`,
      LATHE_URL: platform.url,
      LATHE_API_KEY: '',
    });
    expect(result.code, `${result.output}\n${logs.slice(-30).join('\n')}`).toBe(0);
    expect(result.output).toMatch(/job ftjob-\S+: succeeded/);
    expect(result.output).toMatch(/ft:tiny:\S+ says: /);
  }, 600_000);
});
