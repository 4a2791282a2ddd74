// `lathe doctor`: what this host has of what Lathe needs, each with the command that fixes it.
// Docker and GPUs are optional (jobs then run as processes, on the CPU): reported, never failed.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Command } from 'commander';
import pg from 'pg';
import { dataDir } from '@/cli/context';
import { detectGpus, dockerClient } from '@/gpu-runner/host';
import { inspectEmbeddedPostgres } from '@/server/db/embedded';
import { artifactStoreConfigFromEnv, createArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { detectTrainerEnvironment, PROBE_TIMEOUT_MS, type TrainerEnvironment } from '@/server/services/platform/trainer-environment';

type Status = 'ok' | 'warn' | 'FAIL';
export type DoctorCheck = { name: string; status: Status; detail: string; fix?: string };

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const GiB = 1024 ** 3;
/** Below this nothing fits (a small base model with its GGUF and a job's checkpoints); below the warning a 7B model does not. */
const DISK_FAIL_BYTES = 2 * GiB;
const DISK_WARN_BYTES = 30 * GiB;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();

function checkNode(): DoctorCheck {
  const wanted = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node ?? '>=20.19';
  const [major = 0, minor = 0] = wanted.replace(/^>=\s*/, '').split('.').map(Number);
  const [haveMajor = 0, haveMinor = 0] = process.versions.node.split('.').map(Number);
  const ok = haveMajor > major || (haveMajor === major && haveMinor >= minor);
  return { name: 'Node.js', status: ok ? 'ok' : 'FAIL', detail: `${process.versions.node} (needs ${wanted})`, fix: ok ? undefined : `install Node.js ${major}.${minor} or newer` };
}

function checkTrainer(environment: TrainerEnvironment, dockerTrains: boolean): DoctorCheck {
  const name = 'Python and PyTorch';
  if (!environment.available) {
    // The Docker executor trains in its own image; the host's Python then serves only `lathe fixtures`.
    return { name, status: dockerTrains ? 'warn' : 'FAIL', detail: `${environment.reason}${dockerTrains ? ' (jobs train in the Docker image)' : ''}`, fix: environment.fix };
  }
  const { probe } = environment;
  const torch = probe.torch!;
  if (!torch.loaded) {
    return { name, status: 'warn', detail: `${environment.python} (Python ${probe.pythonVersion}): torch ${torch.version} and NumPy are installed, but torch did not load within ${PROBE_TIMEOUT_MS / 1000} s (a busy machine?), so its BLAS and CUDA are unknown` };
  }
  const detail = `${environment.python} (Python ${probe.pythonVersion}): torch ${torch.version}, ${torch.blas}${torch.cuda ? `, CUDA ${torch.cuda}` : ', CPU build'}`;
  if (torch.blas === 'reference BLAS') {
    return { name, status: 'warn', detail: `${detail}: training runs 10-30x slower than with OpenBLAS`, fix: 'apt-get install -y libopenblas0-openmp' };
  }
  return { name, status: 'ok', detail };
}

async function checkDocker(): Promise<{ check: DoctorCheck; answers: boolean }> {
  const host = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  const executor = process.env.LATHE_EXECUTOR || 'auto';
  try {
    const version = await withTimeout(dockerClient(process.env.DOCKER_HOST).version(), 5_000, 'the Docker engine');
    const used = executor === 'process' ? ' (not used: LATHE_EXECUTOR=process)' : '; jobs run in containers';
    return { check: { name: 'Docker engine', status: 'ok', detail: `${version.Version} at ${host}${used}` }, answers: true };
  } catch (error) {
    const required = executor === 'docker';
    return {
      check: {
        name: 'Docker engine',
        status: required ? 'FAIL' : 'warn',
        detail: `none answers at ${host} (${firstLine(error)})${required ? ', and LATHE_EXECUTOR=docker requires one' : '; jobs run as processes (optional)'}`,
        fix: 'start a Docker engine, or set DOCKER_HOST to one',
      },
      answers: false,
    };
  }
}

async function checkGpus(environment: TrainerEnvironment): Promise<DoctorCheck> {
  const gpus = await detectGpus();
  const torch = environment.available ? environment.probe.torch : null;
  if (!gpus.length) return { name: 'GPUs', status: 'warn', detail: 'none found by nvidia-smi; training runs on the CPU (optional)' };
  const detail = gpus.map((g) => `${g.name} (${Math.round(g.memoryMiB / 1024)} GiB)`).join(', ');
  if (torch && !torch.cuda) {
    return { name: 'GPUs', status: 'warn', detail: `${detail}, but torch ${torch.version} is a CPU build: process jobs will not use them`, fix: 'install a CUDA build of torch, or run jobs in Docker (LATHE_EXECUTOR=docker)' };
  }
  return { name: 'GPUs', status: 'ok', detail: `${detail}${torch?.cuda ? `; torch sees ${torch.cudaDevices}` : ''}` };
}

async function queryVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    return rows[0]!.v.split(' ')[0]!;
  } finally {
    await client.end();
  }
}

async function checkDatabase(): Promise<DoctorCheck> {
  const name = 'Database';
  const configured = process.env.DATABASE_URL?.trim();
  if (configured) {
    const where = (() => {
      try {
        const u = new URL(configured);
        return `${u.hostname}:${u.port || 5432}${u.pathname}`;
      } catch {
        return 'DATABASE_URL';
      }
    })();
    try {
      return { name, status: 'ok', detail: `PostgreSQL ${await queryVersion(configured)} at ${where} (DATABASE_URL)` };
    } catch (error) {
      return { name, status: 'FAIL', detail: `DATABASE_URL (${where}) does not answer: ${firstLine(error)}`, fix: 'start that PostgreSQL or correct DATABASE_URL; unset it to use the embedded one' };
    }
  }
  const report = await inspectEmbeddedPostgres(dataDir());
  if (report.problem) return { name, status: 'FAIL', detail: `embedded PostgreSQL cannot start: ${report.problem}`, fix: 'set DATABASE_URL, or change what the message names' };
  if (report.port) {
    try {
      const version = await queryVersion(`postgresql://lathe:lathe@127.0.0.1:${report.port}/lathe`);
      return { name, status: 'ok', detail: `embedded PostgreSQL ${version} running on port ${report.port}, data in ${report.databaseDir}` };
    } catch (error) {
      return { name, status: 'FAIL', detail: `embedded PostgreSQL on port ${report.port} does not answer: ${firstLine(error)}`, fix: 'stop it and run npm start again' };
    }
  }
  const notes = report.notes.length ? `; ${report.notes.join('; ')}` : '';
  return { name, status: 'ok', detail: `embedded PostgreSQL, not running (npm start and lathe commands start it), data in ${report.databaseDir}${notes}` };
}

function existingAncestor(dir: string) {
  let folder = path.resolve(dir);
  while (!fs.existsSync(folder)) folder = path.dirname(folder);
  return folder;
}

function checkDisk(): DoctorCheck {
  const folder = existingAncestor(dataDir());
  const stats = fs.statfsSync(folder);
  const free = stats.bavail * stats.bsize;
  const detail = `${(free / GiB).toFixed(1)} GiB free under ${path.resolve(dataDir())}`;
  if (free < DISK_FAIL_BYTES) return { name: 'Disk', status: 'FAIL', detail, fix: 'free some space, or set LATHE_DATA_DIR to a larger disk' };
  if (free < DISK_WARN_BYTES) return { name: 'Disk', status: 'warn', detail: `${detail}: enough for small models, not for a 7B one`, fix: 'set LATHE_DATA_DIR to a larger disk for big models' };
  return { name: 'Disk', status: 'ok', detail };
}

async function checkArtifacts(): Promise<DoctorCheck> {
  const name = 'Artifact store';
  const config = artifactStoreConfigFromEnv({ ...process.env, LATHE_DATA_DIR: path.resolve(dataDir()) });
  const where = config.backend === 'local' ? path.join(config.dataDir, 'artifacts') : `s3://${config.bucket}/${config.prefix ?? ''}`;
  if (config.backend === 'local' && !fs.existsSync(where)) {
    // Not there yet (before the first start): whether it can be made is the question, without making it.
    const parent = existingAncestor(where);
    try {
      fs.accessSync(parent, fs.constants.W_OK | fs.constants.X_OK);
      return { name, status: 'ok', detail: `${where} (created on first use)` };
    } catch {
      return { name, status: 'FAIL', detail: `${where} cannot be created: ${parent} is not writable`, fix: `set LATHE_DATA_DIR to a writable folder` };
    }
  }
  try {
    const store = createArtifactStore(config);
    const probe = `lathe doctor ${new Date().toISOString()} ${randomBytes(16).toString('hex')}`;
    const ref = await withTimeout(store.put(Readable.from([Buffer.from(probe)])), 15_000, 'the artifact store');
    await store.delete(ref.sha256);
    return { name, status: 'ok', detail: `${where} is writable (${config.backend})` };
  } catch (error) {
    return { name, status: 'FAIL', detail: `${where} cannot store files: ${firstLine(error)}`, fix: config.backend === 'local' ? 'make LATHE_DATA_DIR writable' : 'check the LATHE_S3_* settings and the bucket credentials' };
  }
}

async function portFree(port: number) {
  return new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

async function checkPort(): Promise<DoctorCheck> {
  const port = Number(process.env.PORT ?? 3000);
  if (await portFree(port)) return { name: 'Web port', status: 'ok', detail: `${port} is free` };
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(3_000) });
    const body = (await res.json()) as { status?: string; instance?: unknown };
    if (body && 'instance' in body) return { name: 'Web port', status: 'ok', detail: `Lathe is already running on ${port} (${body.status ?? 'unknown'})` };
  } catch {
    // Something else holds the port.
  }
  return { name: 'Web port', status: 'warn', detail: `${port} is taken by another program; npm start takes the next free port`, fix: `PORT=${port + 1} npm start` };
}

export async function runDoctor(): Promise<DoctorCheck[]> {
  const [environment, docker] = await Promise.all([detectTrainerEnvironment({ dataDir: dataDir() }), checkDocker()]);
  const dockerTrains = docker.answers && process.env.LATHE_EXECUTOR !== 'process';
  const rest = await Promise.all([checkGpus(environment), checkDatabase(), checkArtifacts(), checkPort()]);
  const [gpus, database, artifacts, port] = rest;
  return [checkNode(), checkTrainer(environment, dockerTrains), docker.check, gpus!, database!, checkDisk(), artifacts!, port!];
}

export function formatChecks(checks: DoctorCheck[]): string {
  const nameWidth = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.flatMap((c) => {
    const head = `${c.name.padEnd(nameWidth)}  ${c.status.padEnd(6)}  ${c.detail}`;
    return c.fix && c.status !== 'ok' ? [head, `${''.padEnd(nameWidth)}          fix: ${c.fix}`] : [head];
  });
  return [`${'check'.padEnd(nameWidth)}  status  detail`, ...lines].join('\n');
}

export function registerDoctorCommand(program: Command) {
  program
    .command('doctor')
    .description('check what this host has of what Lathe needs, and say how to fix what is missing')
    .action(async () => {
      const checks = await runDoctor();
      console.log(formatChecks(checks));
      const failed = checks.filter((c) => c.status === 'FAIL');
      const warned = checks.filter((c) => c.status === 'warn');
      console.log(
        failed.length
          ? `\n${failed.length} problem${failed.length > 1 ? 's' : ''} to fix: ${failed.map((c) => c.name).join(', ')}`
          : `\nready${warned.length ? ` (${warned.length} note${warned.length > 1 ? 's' : ''} above)` : ''}`,
      );
      if (failed.length) process.exitCode = 1;
    });
}
