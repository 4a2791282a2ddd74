import path from 'node:path';
import { defineConfig } from 'vitest/config';

// vitest 5's reporter calls Map.groupBy, which Node 20 lacks (Node 21+ has it).
if (typeof (Map as { groupBy?: unknown }).groupBy !== 'function') {
  Object.defineProperty(Map, 'groupBy', {
    value<K, V>(items: Iterable<V>, key: (item: V, index: number) => K) {
      const groups = new Map<K, V[]>();
      let i = 0;
      for (const item of items) {
        const k = key(item, i++);
        const group = groups.get(k);
        if (group) group.push(item);
        else groups.set(k, [item]);
      }
      return groups;
    },
  });
}

export default defineConfig({
  resolve: { alias: { '@': path.resolve(import.meta.dirname) } },
  test: {
    include: ['**/*.test.ts', 'tests/**/*.spec.ts'],
    exclude: ['node_modules/**', '.next/**', '.lathe/**', '.lathe-test/**'],
    globalSetup: ['tests/setup/global-setup.ts'],
    testTimeout: 120_000,
    // expect.poll gives up after one second by default. The polls here wait on a browser page or a
    // background process, which on a loaded two-core machine can take longer than that; a test
    // still fails within its own timeout when the awaited state never comes.
    expect: { poll: { timeout: 20_000 } },
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
