// Migrations on a database of their own, on the test run's PostgreSQL: several processes starting
// at once (as the suite's web processes do) apply them once between them, none waits on a lock
// the previous one forgot, and a current database is answered without the schema engine.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations } from '@/server/db/migrate';

const adminUrl = process.env.DATABASE_URL!.replace(/\/[^/]+$/, '/postgres');
const name = `lathe_migrate_${randomBytes(4).toString('hex')}`;
const url = adminUrl.replace(/\/[^/]+$/, `/${name}`);
const migrations = fs.readdirSync('prisma/migrations', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(adminUrl);
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

beforeAll(() => admin((c) => c.query(`CREATE DATABASE ${name}`)));
afterAll(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));

describe('applyMigrations', () => {
  it('applies every migration once when four processes start together, and leaves no lock held', async () => {
    const results = await Promise.all(Array.from({ length: 4 }, () => applyMigrations({ databaseUrl: url })));
    expect(results.flat().sort()).toEqual(migrations);
    expect(results.filter((applied) => applied.length > 0)).toHaveLength(1);
    const held = await admin((c) => c.query(`SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = $1`, [name]));
    expect(held.rows[0].n).toBe(0);
  });

  it('answers a current database at once, without waiting for a migrator that holds the lock', async () => {
    const holder = new pg.Client(url);
    await holder.connect();
    try {
      // Another process in the middle of migrating something: a current database need not wait.
      await holder.query('SELECT pg_advisory_lock(7341001)');
      await expect(applyMigrations({ databaseUrl: url })).resolves.toEqual([]);
    } finally {
      await holder.end();
    }
  });
});
