// First step of `npm start` and `npm test`: on a fresh clone, install dependencies (which also
// generates the Prisma client); afterwards, regenerate the client if it is missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function run(cmd, args) {
  const res = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
  if (res.status !== 0) process.exit(res.status ?? 1);
}

if (!existsSync('node_modules/.package-lock.json')) {
  console.log('lathe: installing dependencies (first run)…');
  run('npm', ['install', '--no-audit', '--no-fund']);
}
if (!existsSync('server/generated/prisma/client.ts')) run(process.execPath, ['scripts/prisma-generate.mjs']);
