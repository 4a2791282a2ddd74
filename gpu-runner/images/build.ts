// Builds the trainer's container image on the runner's Docker engine. The tag carries a hash of the
// Dockerfile and the trainer sources, so an unchanged trainer reuses the image it built before.
// Without registry access the debian:bookworm-slim base is made locally (debootstrap + import).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Dockerode from 'dockerode';

const GPU_RUNNER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE_SUBDIR = 'trainer/lathe_trainer';
export const BASE_IMAGE = 'debian:bookworm-slim';
const DEBIAN_SUITE = 'bookworm';
const LOCK_STALE_MS = 30 * 60_000;

export interface EnsureTrainerImageOptions {
  /** Full image tag; default lathe/<Dockerfile folder>:<hash of the Dockerfile and trainer sources>. */
  tag?: string;
  /** Dockerfile path relative to gpu-runner/ (default images/trainer-cpu/Dockerfile). */
  dockerfile?: string;
  onLog?: (line: string) => void;
}

function packageFiles(): string[] {
  const dir = path.join(GPU_RUNNER_DIR, PACKAGE_SUBDIR);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.py'))
    .sort()
    .map((name) => `${PACKAGE_SUBDIR}/${name}`);
}

/** Hash of everything that goes into the image: the Dockerfile and the trainer package. */
export function trainerImageHash(dockerfile = 'images/trainer-cpu/Dockerfile'): string {
  const hash = createHash('sha256');
  for (const file of [dockerfile, ...packageFiles()]) {
    hash.update(file).update('\0').update(readFileSync(path.join(GPU_RUNNER_DIR, file))).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

async function imageExists(docker: Dockerode, name: string): Promise<boolean> {
  try {
    await docker.getImage(name).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

/** Consumes a Docker JSON-message stream (pull, build, import), failing on an error message. */
function followStream(docker: Dockerode, stream: NodeJS.ReadableStream, onLog: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        if (error) return reject(error);
        const failed = output.find((message) => message.error || message.errorDetail);
        if (failed) return reject(new Error(failed.errorDetail?.message ?? failed.error));
        resolve();
      },
      (event: { stream?: string; status?: string; progress?: string }) => {
        const text = (event.stream ?? event.status ?? '').trimEnd();
        if (text) onLog(text);
      },
    );
  });
}

function run(command: string, args: string[], onLog: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const collect = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) onLog(line);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${tail.slice(-1500)}`)),
    );
  });
}

/** The Debian mirror this machine's apt uses (one-line or deb822 sources). */
export function debianMirror(): string {
  const files: string[] = [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  if (existsSync('/etc/apt/sources.list.d')) {
    for (const name of readdirSync('/etc/apt/sources.list.d').sort()) {
      if (name.endsWith('.list') || name.endsWith('.sources')) files.push(path.join('/etc/apt/sources.list.d', name));
    }
  }
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const line of text.split('\n')) {
      const match = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
      if (match && match[2] === DEBIAN_SUITE && match[1]) return match[1];
    }
    for (const stanza of text.split(/\n\s*\n/)) {
      const uris = /^URIs:\s*(.+)$/m.exec(stanza)?.[1]?.trim().split(/\s+/);
      const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
      const types = /^Types:\s*(.+)$/m.exec(stanza)?.[1] ?? 'deb';
      if (uris?.[0] && suites.includes(DEBIAN_SUITE) && /\bdeb\b/.test(types)) return uris[0];
    }
  }
  return 'http://deb.debian.org/debian';
}

async function pullBase(docker: Dockerode, onLog: (line: string) => void): Promise<boolean> {
  try {
    const stream = await docker.pull(BASE_IMAGE);
    await followStream(docker, stream, onLog);
    return imageExists(docker, BASE_IMAGE);
  } catch (error) {
    onLog(`pulling ${BASE_IMAGE} failed: ${(error as Error).message}`);
    return false;
  }
}

/** Makes debian:bookworm-slim from a minimal debootstrap of the local mirror (needs root). */
async function importDebootstrappedBase(docker: Dockerode, onLog: (line: string) => void): Promise<void> {
  if (!existsSync('/usr/sbin/debootstrap')) {
    throw new Error(`${BASE_IMAGE} cannot be pulled and debootstrap is not installed (apt-get install debootstrap)`);
  }
  const mirror = debianMirror();
  const work = mkdtempSync(path.join(os.tmpdir(), 'lathe-debootstrap-'));
  const rootfs = path.join(work, 'rootfs');
  try {
    onLog(`debootstrap ${DEBIAN_SUITE} from ${mirror}`);
    await run('/usr/sbin/debootstrap', ['--variant=minbase', DEBIAN_SUITE, rootfs, mirror], onLog);
    rmSync(path.join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
    mkdirSync(path.join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
    const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [repo, tag] = BASE_IMAGE.split(':');
    const stream = await docker.importImage(tar.stdout, { repo, tag });
    await followStream(docker, stream, onLog);
    if (!(await imageExists(docker, BASE_IMAGE))) throw new Error(`importing ${BASE_IMAGE} produced no image`);
    onLog(`imported ${BASE_IMAGE} from debootstrap`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(os.tmpdir(), `lathe-${name}.lock`);
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      } catch {
        // Released meanwhile.
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Ensures debian:bookworm-slim exists: present, pulled, or made with debootstrap. */
export async function ensureBaseImage(docker: Dockerode, onLog: (line: string) => void = () => {}): Promise<void> {
  if (await imageExists(docker, BASE_IMAGE)) return;
  await withLock('base-image', async () => {
    if (await imageExists(docker, BASE_IMAGE)) return;
    if (await pullBase(docker, onLog)) return;
    await importDebootstrappedBase(docker, onLog);
  });
}

/**
 * Returns the tag of the trainer image, building gpu-runner/images/trainer-cpu/Dockerfile (or
 * `options.dockerfile`, with gpu-runner/ as the build context) only when that tag does not exist yet.
 */
export async function ensureTrainerImage(docker: Dockerode, options: EnsureTrainerImageOptions = {}): Promise<string> {
  const onLog = options.onLog ?? (() => {});
  const dockerfile = options.dockerfile ?? 'images/trainer-cpu/Dockerfile';
  const repository = `lathe/${path.basename(path.dirname(dockerfile))}`;
  const tag = options.tag ?? `${repository}:${trainerImageHash(dockerfile)}`;
  if (await imageExists(docker, tag)) return tag;
  const from = /^\s*FROM\s+(\S+)/im.exec(readFileSync(path.join(GPU_RUNNER_DIR, dockerfile), 'utf8'))?.[1];
  // Other bases (the CUDA image's) come from their registry when the build pulls them.
  if (from === BASE_IMAGE) await ensureBaseImage(docker, onLog);
  return withLock(`image-${tag.replace(/[^a-zA-Z0-9.-]/g, '_')}`, async () => {
    if (await imageExists(docker, tag)) return tag;
    onLog(`building ${tag}`);
    const stream = await docker.buildImage(
      { context: GPU_RUNNER_DIR, src: [dockerfile, ...packageFiles()] },
      { t: tag, dockerfile, rm: true, forcerm: true, labels: { 'lathe.image': 'trainer' } },
    );
    await followStream(docker, stream, onLog);
    if (!(await imageExists(docker, tag))) throw new Error(`building ${tag} finished without an image`);
    return tag;
  });
}
