// `npm test`: type-check the repository, build the web app once (the browser and HTTP tests
// serve it), then run every test file with vitest. Extra arguments go to vitest.
import { spawnSync } from 'node:child_process';
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

step('type check', process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.json']);
console.log('\n── web build');
await ensureWebBuild();
step('tests', process.execPath, [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...process.argv.slice(2)]);
console.log(`\nnpm test passed in ${Math.round((Date.now() - started) / 1000)} s`);
