// A fresh database for each test run: on the PostgreSQL at 127.0.0.1:5432 when it answers,
// otherwise on an embedded PostgreSQL. Only local databases are ever touched.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ensureEmbeddedPostgres } from '@/server/db/embedded';
import { applyMigrations } from '@/server/db/migrate';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

async function answers(port: number) {
  return new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export function assertLocalDatabase(url: string) {
  const host = new URL(url).hostname;
  if (!LOCAL_HOSTS.has(host)) throw new Error(`Refusing to run tests against a non-local database (${host})`);
}

export type TestDatabase = { url: string; drop: () => Promise<void> };

export async function createTestDatabase(dataDir: string): Promise<TestDatabase> {
  let adminUrl: string;
  let release = async () => {};
  if (!process.env.LATHE_TEST_EMBEDDED && (await answers(5432))) {
    adminUrl = 'postgresql://postgres@127.0.0.1:5432/postgres';
  } else {
    const embedded = await ensureEmbeddedPostgres({ dataDir });
    adminUrl = embedded.url.replace(/\/[^/]+$/, '/postgres');
    release = embedded.release;
  }
  assertLocalDatabase(adminUrl);
  const name = `lathe_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = adminUrl.replace(/\/[^/]+$/, `/${name}`);
  await applyMigrations({ databaseUrl: url });
  return {
    url,
    drop: async () => {
      const c = new pg.Client(adminUrl);
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      await release();
    },
  };
}
