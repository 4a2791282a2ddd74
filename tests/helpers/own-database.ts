// A database of the test file's own, for files that start worker or gpu-runner processes. Those
// processes act on every row they can see: a worker requeues any running job without a fresh
// heartbeat, a runner claims any queued training job or requested deployment. On the run's shared
// database they would take other files' rows (and other files' runners would take theirs), so each
// such file gets a database its processes share with nobody.
//
// Call it at the top of the file, before any other hook: its beforeAll runs first (so getDb() and
// the platform's children see the new DATABASE_URL) and its afterAll last.
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { disconnectDb } from '@/server/db';
import { createTestDatabase, type TestDatabase } from '@/tests/setup/database';

export function useOwnDatabase() {
  let database: TestDatabase | undefined;
  let previous: string | undefined;
  beforeAll(async () => {
    previous = process.env.DATABASE_URL;
    database = await createTestDatabase(path.resolve('.lathe-test'));
    await disconnectDb();
    process.env.DATABASE_URL = database.url;
  }, 120_000);
  afterAll(async () => {
    await disconnectDb();
    if (previous === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = previous;
    await database?.drop();
  }, 60_000);
}
