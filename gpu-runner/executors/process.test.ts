import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe } from 'vitest';
import { createProcessExecutor } from './process';
import { createWorkspace, defineExecutorContract, type Workspace } from './test-workspace';

describe('process executor', () => {
  let workspace: Workspace;
  beforeAll(async () => {
    workspace = await createWorkspace();
  }, 300_000);
  afterAll(() => rmSync(workspace.root, { recursive: true, force: true }));

  defineExecutorContract(() => createProcessExecutor(), () => workspace);
});
