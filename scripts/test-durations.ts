// `npm run test:durations`: after a full `npm test`, writes each test file's duration (ms, from
// vitest's results cache) to tests/setup/file-durations.json, which the suite's sequencer reads to
// start the longest files first on a fresh clone.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const cacheRoot = path.join(root, 'node_modules/.vite/vitest');
const caches = fs.existsSync(cacheRoot)
  ? fs.readdirSync(cacheRoot).map((dir) => path.join(cacheRoot, dir, 'results.json')).filter((file) => fs.existsSync(file))
  : [];
if (!caches.length) {
  console.error('No vitest results cache: run `npm test` first.');
  process.exit(1);
}
const durations: Record<string, number> = {};
for (const file of caches) {
  const cache = JSON.parse(fs.readFileSync(file, 'utf8')) as { projects: Record<string, { files: Record<string, { duration: number }> }> };
  for (const project of Object.values(cache.projects)) for (const [name, result] of Object.entries(project.files)) durations[name] = Math.round(result.duration);
}
const present = Object.entries(durations).filter(([name]) => fs.existsSync(path.join(root, name)));
const out = path.join(root, 'tests/setup/file-durations.json');
fs.writeFileSync(out, JSON.stringify(Object.fromEntries(present.sort(([a], [b]) => a.localeCompare(b))), null, 2) + '\n');
console.log(`${present.length} files written to ${path.relative(root, out)}`);
