// Two bundles of the same source, each with its dependencies inside (the package installs with
// no dependencies): Node's, with tus-js-client's and engine.io's Node stacks, and the browsers'.
// Only types come from the server (AppRouter); a test checks no server code is in the files.
import { defineConfig } from 'tsup';

const shared = {
  entry: { index: 'src/index.ts' },
  format: ['esm'] as ('esm')[],
  target: 'es2022',
  sourcemap: false,
  splitting: false,
  treeshake: true,
  noExternal: [/.*/],
  tsconfig: 'tsconfig.json',
};

export default defineConfig([
  {
    ...shared,
    platform: 'node',
    outDir: 'dist',
    clean: true,
    dts: true,
    // Optional speed-ups of `ws` that it loads only when installed.
    external: ['bufferutil', 'utf-8-validate'],
    banner: { js: "import { createRequire as __latheRequire } from 'node:module'; const require = __latheRequire(import.meta.url);" },
  },
  {
    ...shared,
    entry: { browser: 'src/index.ts' },
    platform: 'browser',
    outDir: 'dist',
    clean: false,
    dts: false,
    external: ['node:fs'],
  },
]);
