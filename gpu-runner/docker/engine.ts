// Finds a Docker engine for the gpu-runner and the tests: DOCKER_HOST when it answers, else the
// engine Lathe starts for itself (root with dockerd installed), else the reason there is none.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import Dockerode from 'dockerode';

export const LATHE_DOCKER_SOCKET = '/run/lathe-docker.sock';
export const LATHE_DOCKER_DATA_ROOT = '/var/lib/lathe-docker';
export const LATHE_DOCKER_PIDFILE = '/run/lathe-docker.pid';
export const LATHE_DOCKER_LOG = '/var/log/lathe-dockerd.log';
const DOCKERD = '/usr/sbin/dockerd';
const DEFAULT_SOCKET = '/var/run/docker.sock';
const START_LOCK = '/run/lathe-docker.start-lock';

export type DockerEngine = { docker: Dockerode; socketPath: string } | { docker: null; reason: string };

export interface EnsureDockerEngineOptions {
  /** How long to wait for a dockerd this call started (default 60 s). */
  startTimeoutMs?: number;
  onLog?: (line: string) => void;
}

function clientFor(host: string): { docker: Dockerode; socketPath: string } | null {
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    return { docker: new Dockerode({ socketPath }), socketPath };
  }
  if (host.startsWith('/')) return { docker: new Dockerode({ socketPath: host }), socketPath: host };
  const match = /^tcp:\/\/([^:/]+):(\d+)/.exec(host);
  if (match) {
    return { docker: new Dockerode({ host: match[1], port: Number(match[2]), protocol: 'http' }), socketPath: host };
  }
  return null;
}

async function answers(docker: Dockerode, timeoutMs = 3000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      docker.ping().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function pidFromFile(): number | null {
  try {
    const pid = Number(readFileSync(LATHE_DOCKER_PIDFILE, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

async function acquireStartLock(timeoutMs: number): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(START_LOCK);
      return () => rmSync(START_LOCK, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(START_LOCK).mtimeMs > 120_000) rmSync(START_LOCK, { recursive: true, force: true });
      } catch {
        // Released meanwhile.
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${START_LOCK}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function startDockerd(log: (line: string) => void): void {
  const stalePid = pidFromFile();
  if (stalePid !== null && !processAlive(stalePid)) rmSync(LATHE_DOCKER_PIDFILE, { force: true });
  if (stalePid !== null && processAlive(stalePid)) {
    log(`dockerd (pid ${stalePid}) is already starting`);
    return;
  }
  mkdirSync(LATHE_DOCKER_DATA_ROOT, { recursive: true });
  const logFd = openSync(LATHE_DOCKER_LOG, 'a');
  try {
    const child = spawn(
      DOCKERD,
      ['--host', `unix://${LATHE_DOCKER_SOCKET}`, '--data-root', LATHE_DOCKER_DATA_ROOT, '--pidfile', LATHE_DOCKER_PIDFILE],
      { detached: true, stdio: ['ignore', logFd, logFd] },
    );
    child.unref();
    log(`started dockerd (pid ${child.pid}), log in ${LATHE_DOCKER_LOG}`);
  } finally {
    closeSync(logFd);
  }
}

function logTail(): string {
  try {
    return readFileSync(LATHE_DOCKER_LOG, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}

/**
 * A Docker engine that answers, or `{ docker: null, reason }`. Order: DOCKER_HOST; Lathe's own
 * engine at /run/lathe-docker.sock; the default /var/run/docker.sock; then, as root with dockerd
 * installed, starting Lathe's own engine and waiting for it.
 */
export async function ensureDockerEngine(options: EnsureDockerEngineOptions = {}): Promise<DockerEngine> {
  const log = options.onLog ?? (() => {});
  const dockerHost = process.env.DOCKER_HOST;
  if (dockerHost) {
    const client = clientFor(dockerHost);
    if (client && (await answers(client.docker))) return client;
    log(`DOCKER_HOST=${dockerHost} does not answer`);
  }
  for (const socketPath of [LATHE_DOCKER_SOCKET, DEFAULT_SOCKET]) {
    if (existsSync(socketPath)) {
      const docker = new Dockerode({ socketPath });
      if (await answers(docker)) return { docker, socketPath };
    }
  }
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return { docker: null, reason: `no Docker engine answers (DOCKER_HOST=${dockerHost ?? 'unset'}) and starting one needs root` };
  }
  if (!existsSync(DOCKERD)) {
    return { docker: null, reason: `no Docker engine answers and ${DOCKERD} is not installed (apt-get install docker.io)` };
  }
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const docker = new Dockerode({ socketPath: LATHE_DOCKER_SOCKET });
  const release = await acquireStartLock(timeoutMs);
  try {
    if (!(existsSync(LATHE_DOCKER_SOCKET) && (await answers(docker)))) startDockerd(log);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (existsSync(LATHE_DOCKER_SOCKET) && (await answers(docker, 2000))) {
        return { docker, socketPath: LATHE_DOCKER_SOCKET };
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    release();
  }
  return { docker: null, reason: `dockerd did not answer within ${timeoutMs} ms; ${LATHE_DOCKER_LOG} ends with:\n${logTail()}` };
}
