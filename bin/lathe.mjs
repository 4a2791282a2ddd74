#!/usr/bin/env node
// The `lathe` command: operators' and tests' entry to the same services the server uses.
import { register } from 'tsx/esm/api';

register();
await import('../cli/index.ts');
