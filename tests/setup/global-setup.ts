// Once per `vitest run`: a fresh database with migrations applied, and the environment every test
// process inherits. Test files that need the platform running start it themselves (tests/helpers).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createTestDatabase } from './database';

export default async function setup() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-test-'));
  const database = await createTestDatabase(path.resolve('.lathe-test'));
  process.env.DATABASE_URL = database.url;
  process.env.LATHE_DATA_DIR = dataDir;
  process.env.AUTH_SECRET ??= randomBytes(32).toString('hex');
  return async () => {
    await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
}
