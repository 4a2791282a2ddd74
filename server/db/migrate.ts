// Prisma migrations without the Prisma CLI: the CLI downloads a native schema engine at start,
// which cannot work offline, so we drive Prisma's own schema engine compiled to WebAssembly
// through the pg driver adapter. The migrations it writes and the `_prisma_migrations` rows it
// records are the ones `prisma migrate deploy` would, so both tools agree on a database.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';

const LOCK = 'provider = "postgresql"\n';
const MIGRATION_LOCK_KEY = 7_341_001; // pg_advisory_lock key: one migrator at a time

export type MigrateOptions = {
  databaseUrl: string;
  rootDir?: string;
};

type SchemaEngine = {
  diff(params: unknown): Promise<{ exitCode: number; stdout?: string }>;
  applyMigrations(params: unknown): Promise<{ appliedMigrationNames: string[] }>;
  free(): void;
};

export function pgConfigFromUrl(url: string) {
  // Discrete fields rather than a connectionString: the adapter overrides `database` for a shadow
  // connection, which pg ignores when a connectionString is present.
  const u = new URL(url);
  return {
    host: u.hostname || 'localhost',
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || 'postgres'),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1) || 'postgres'),
  };
}

function paths(rootDir: string) {
  return {
    schema: path.join(rootDir, 'prisma', 'schema.prisma'),
    migrations: path.join(rootDir, 'prisma', 'migrations'),
  };
}

function migrationDirs(migrationsDir: string): string[] {
  if (!fs.existsSync(migrationsDir)) return [];
  return fs
    .readdirSync(migrationsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(migrationsDir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort();
}

function migrationsList(migrationsDir: string) {
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: LOCK },
    shadowDbInitScript: '',
    migrationDirectories: migrationDirs(migrationsDir).map((name) => ({
      path: name,
      migrationFile: {
        path: 'migration.sql',
        content: { tag: 'ok', value: fs.readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8') },
      },
    })),
  };
}

let wasmReady: Promise<{ SchemaEngine: { new: (...args: unknown[]) => Promise<SchemaEngine> } }> | undefined;

function loadWasm() {
  wasmReady ??= (async () => {
    const bg = (await import('@prisma/schema-engine-wasm/schema_engine_bg')) as Record<string, unknown>;
    const require = createRequire(import.meta.url);
    const wasmPath = path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm')), 'schema_engine_bg.wasm');
    const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasmPath), {
      './schema_engine_bg.js': bg as WebAssembly.ModuleImports,
    });
    (bg.__wbg_set_wasm as (e: unknown) => void)(instance.exports);
    (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
    return bg as unknown as { SchemaEngine: { new: (...args: unknown[]) => Promise<SchemaEngine> } };
  })();
  return wasmReady;
}

type OpenEngine = SchemaEngine & { close(): Promise<void> };

async function openEngine(databaseUrl: string, schemaPath: string): Promise<OpenEngine> {
  const { SchemaEngine } = await loadWasm();
  const main = new PrismaPg(pgConfigFromUrl(databaseUrl));
  // The adapters the engine opens hold pg connections, and with them Prisma's own session-level
  // advisory lock: they are closed with the engine, so the next migrator does not wait on it.
  const opened: { dispose(): Promise<void> }[] = [];
  const factory = {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: async () => {
      const adapter = await main.connect();
      opened.push(adapter);
      return adapter;
    },
    connectToShadowDb: async () => {
      throw new Error('Lathe migrations diff schema files and never need a shadow database');
    },
  };
  const engine = await SchemaEngine.new(
    { datamodels: [[schemaPath, fs.readFileSync(schemaPath, 'utf8')]] },
    () => {},
    bindMigrationAwareSqlAdapterFactory(factory as never),
  );
  return Object.assign(engine, {
    close: async () => {
      engine.free();
      await Promise.all(opened.splice(0).map((adapter) => adapter.dispose().catch(() => undefined)));
    },
  });
}

/** Whether every migration folder is recorded as finished (then there is nothing to lock or run). */
async function allApplied(client: pg.Client, migrationsDir: string): Promise<boolean> {
  const wanted = migrationDirs(migrationsDir);
  const table = await client.query<{ exists: boolean }>("SELECT to_regclass('_prisma_migrations') IS NOT NULL AS exists");
  if (!table.rows[0]?.exists) return wanted.length === 0;
  const done = await client.query<{ migration_name: string }>('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL');
  const names = new Set(done.rows.map((r) => r.migration_name));
  return wanted.every((name) => names.has(name));
}

const filters = { externalTables: [], externalEnums: [] };

/** Applies every pending migration in prisma/migrations; returns the names applied now. */
export async function applyMigrations({ databaseUrl, rootDir = process.cwd() }: MigrateOptions): Promise<string[]> {
  const p = paths(rootDir);
  const lockClient = new pg.Client(pgConfigFromUrl(databaseUrl));
  await lockClient.connect();
  try {
    // Most starts find the database current (tests start many web processes on one database):
    // answer without the lock or the schema engine.
    if (await allApplied(lockClient, p.migrations)) return [];
    await lockClient.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const engine = await openEngine(databaseUrl, p.schema);
    try {
      const result = await engine.applyMigrations({ migrationsList: migrationsList(p.migrations), filters });
      return result.appliedMigrationNames;
    } finally {
      await engine.close();
    }
  } finally {
    await lockClient.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    await lockClient.end();
  }
}

/**
 * Writes a new migration holding the SQL from the newest migration's schema snapshot to the
 * current schema.prisma. Diffing schema files needs no database introspection (which the wasm
 * engine cannot do through the adapter) and no shadow database.
 */
export async function createMigration({ databaseUrl, rootDir = process.cwd(), name }: MigrateOptions & { name: string }) {
  const p = paths(rootDir);
  fs.mkdirSync(p.migrations, { recursive: true });
  fs.writeFileSync(path.join(p.migrations, 'migration_lock.toml'), LOCK);
  const dirs = migrationDirs(p.migrations);
  const last = dirs.at(-1);
  const snapshot = last ? path.join(p.migrations, last, 'schema.prisma') : undefined;
  const content = fs.readFileSync(p.schema, 'utf8');
  const engine = await openEngine(databaseUrl, p.schema);
  try {
    const from =
      snapshot && fs.existsSync(snapshot)
        ? { tag: 'schemaDatamodel', files: [{ path: snapshot, content: fs.readFileSync(snapshot, 'utf8') }] }
        : { tag: 'empty' };
    const diff = await engine.diff({
      from,
      to: { tag: 'schemaDatamodel', files: [{ path: p.schema, content }] },
      script: true,
      shadowDatabaseUrl: null,
      exitCode: null,
      filters,
    });
    const sql = diff.stdout ?? '';
    if (!sql.trim() || /empty migration/i.test(sql)) return null;
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '') || 'migration';
    const dir = path.join(p.migrations, `${stamp}_${slug}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'migration.sql'), sql);
    fs.writeFileSync(path.join(dir, 'schema.prisma'), content);
    return dir;
  } finally {
    await engine.close();
  }
}
