#!/usr/bin/env node
// The `lathe` command: the end user's commands over the API (cli/client) and the operators' and
// tests' entry to the same services the server uses (cli/commands).
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// The repository's tsconfig, wherever the command is run from: its paths resolve the `@/` imports.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
try {
  // End-user commands speak HTTP through the SDK and never load the operator's database code.
  const { isClientCommand } = await import('../cli/client/dispatch.ts');
  if (await isClientCommand(process.argv.slice(2))) await import('../cli/client/main.ts');
  else {
    process.argv = process.argv.filter((arg) => arg !== '--operator');
    await import('../cli/index.ts');
  }
} catch (error) {
  // A module that fails while loading (a bad setting, a missing build) ends in one line too.
  console.error(`lathe: ${error instanceof Error ? error.message : String(error)}`);
  if (process.env.LATHE_DEBUG && error instanceof Error) console.error(error.stack);
  process.exit(1);
}
