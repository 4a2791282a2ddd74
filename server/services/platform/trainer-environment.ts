// The Python that runs the trainer outside a container: which interpreter, whether it has PyTorch,
// and, for `npm start`, setting one up. The start script, the gpu-runner, the CLI and `lathe
// doctor` all ask here, so they agree on the interpreter and say the same thing when none works.
//
// Order: LATHE_PYTHON alone when set (an explicit choice that lacks torch is the problem to
// report, not a cue to use another), else Debian's /usr/bin/python3, `python3` on the PATH, and the
// virtual environment `npm start` creates in LATHE_DATA_DIR/venv.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { LatheError } from '@/server/services/errors';

/** A cold `import torch` takes 1-3 s; an interpreter silent for this long is not going to train. */
export const PROBE_TIMEOUT_MS = 20_000;

/**
 * An index of PyTorch's CPU builds (a tenth of the CUDA build's download) when the operator names
 * one; passed to pip as an extra index, so its `+cpu` versions sort above the same versions
 * elsewhere and NumPy still comes from whatever index pip is configured with. Without it pip's
 * own configuration decides which build arrives.
 */
export function torchIndexArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  return env.LATHE_TORCH_INDEX_URL ? ['--extra-index-url', env.LATHE_TORCH_INDEX_URL] : [];
}

export type PythonSource = 'LATHE_PYTHON' | 'debian' | 'path' | 'venv';

export type TorchInfo = {
  version: string;
  /** The BLAS torch multiplies with: OpenBLAS or MKL are fast; the reference BLAS is 10-30x slower. */
  blas: string;
  /** CUDA version torch was built for, null for a CPU build. */
  cuda: string | null;
  cudaDevices: number;
  /** False when torch is installed but did not finish loading in time: blas and cuda are then unknown. */
  loaded: boolean;
};

export type PythonProbe = {
  /** As configured (`python3`, a path). */
  python: string;
  /** The interpreter itself (sys.executable), when it ran. */
  executable: string | null;
  source: PythonSource;
  status: 'ok' | 'missing' | 'not-python' | 'no-torch' | 'no-numpy' | 'torch-broken' | 'timeout';
  pythonVersion: string | null;
  torch: TorchInfo | null;
  /** What is wrong, as a clause ("has no PyTorch"); empty when ok. */
  problem: string;
};

export type TrainerEnvironment =
  | { available: true; python: string; probe: PythonProbe; probes: PythonProbe[] }
  | { available: false; reason: string; fix: string; probes: PythonProbe[] };

export type TrainerEnvironmentOptions = {
  /** LATHE_DATA_DIR, where `npm start` keeps the virtual environment. */
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** Interpreters to try instead of the usual order. */
  candidates?: Array<{ python: string; source: PythonSource }>;
};

const PROBE_SCRIPT = String.raw`
import json, re, sys

def blas_of(torch):
    config = torch.__config__.show()
    m = re.search(r"BLAS_INFO=([^,\s]+)", config)
    blas = m.group(1) if m else "unknown"
    names = {"mkl": "MKL", "open": "OpenBLAS", "openblas": "OpenBLAS", "blis": "BLIS", "accelerate": "Accelerate"}
    if blas in names:
        return names[blas]
    # "generic": whichever libblas.so.3 the system points at, already mapped into this process.
    try:
        libs = [l.split()[-1] for l in open("/proc/self/maps") if "blas" in l.lower()]
    except OSError:
        libs = []
    for key, name in (("openblas", "OpenBLAS"), ("mkl", "MKL"), ("blis", "BLIS")):
        if any(key in l for l in libs):
            return name
    return "reference BLAS" if libs else blas

out = {"python": sys.version.split()[0], "executable": sys.executable}
# Finding the packages takes milliseconds, importing torch seconds: on a machine too busy to finish
# the import in time, this line still tells a Python that has them from one that has not.
import importlib.util
found = {name: importlib.util.find_spec(name) is not None for name in ("torch", "numpy")}
try:
    from importlib.metadata import version
    found["torchVersion"] = version("torch") if found["torch"] else None
except Exception:
    found["torchVersion"] = None
print("LATHE_PROBE_FOUND " + json.dumps(dict(out, **found)), flush=True)
try:
    import torch
except ModuleNotFoundError as e:
    out["error"] = "no-torch"
    out["detail"] = str(e)
except BaseException as e:
    out["error"] = "torch-broken"
    out["detail"] = (type(e).__name__ + ": " + str(e)).splitlines()[0][:300]
else:
    cuda = torch.version.cuda
    out["torch"] = {"version": torch.__version__, "blas": blas_of(torch), "cuda": cuda, "loaded": True,
                    "cudaDevices": torch.cuda.device_count() if cuda and torch.cuda.is_available() else 0}
    try:
        import numpy
    except ImportError:
        # torch loads without it, but the trainer turns tensors into numpy arrays.
        out["error"] = "no-numpy"
print("LATHE_PROBE " + json.dumps(out), flush=True)
`;

/** Runs one Python process that reports its version and what `import torch` gives. */
export function probePython(python: string, source: PythonSource, { timeoutMs = PROBE_TIMEOUT_MS, env = process.env }: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<PythonProbe> {
  const base = { python, source, executable: null, pythonVersion: null, torch: null } as const;
  return new Promise((resolve) => {
    execFile(python, ['-c', PROBE_SCRIPT], { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('LATHE_PROBE '));
      if (line) {
        const out = JSON.parse(line.slice('LATHE_PROBE '.length)) as { python: string; executable: string; error?: 'no-torch' | 'no-numpy' | 'torch-broken'; detail?: string; torch?: TorchInfo };
        const found = { ...base, executable: out.executable || null, pythonVersion: out.python };
        if (out.error === 'no-numpy') return resolve({ ...found, status: 'no-numpy', torch: out.torch ?? null, problem: 'has PyTorch but not NumPy, which the trainer needs' });
        if (out.torch) return resolve({ ...found, status: 'ok', torch: out.torch, problem: '' });
        if (out.error === 'no-torch') return resolve({ ...found, status: 'no-torch', problem: 'has no PyTorch' });
        return resolve({ ...found, status: 'torch-broken', problem: `has a PyTorch that does not load (${out.detail ?? 'unknown error'})` });
      }
      const failure = error as (NodeJS.ErrnoException & { killed?: boolean; code?: string | number }) | null;
      if (failure?.code === 'ENOENT') return resolve({ ...base, status: 'missing', problem: 'was not found' });
      if (failure?.code === 'EACCES') return resolve({ ...base, status: 'missing', problem: 'is not executable' });
      const foundLine = stdout.split('\n').find((l) => l.startsWith('LATHE_PROBE_FOUND '));
      if (failure?.killed && foundLine) {
        const found = JSON.parse(foundLine.slice('LATHE_PROBE_FOUND '.length)) as { python: string; executable: string; torch: boolean; numpy: boolean; torchVersion: string | null };
        const seen = { ...base, executable: found.executable || null, pythonVersion: found.python };
        if (!found.torch) return resolve({ ...seen, status: 'no-torch', problem: 'has no PyTorch' });
        if (!found.numpy) return resolve({ ...seen, status: 'no-numpy', problem: 'has PyTorch but not NumPy, which the trainer needs' });
        // Installed but slow to load on a busy machine: not a reason to refuse training.
        const torch = { version: found.torchVersion ?? 'unknown', blas: 'unknown', cuda: null, cudaDevices: 0, loaded: false };
        return resolve({ ...seen, status: 'ok', torch, problem: '' });
      }
      if (failure?.killed) return resolve({ ...base, status: 'timeout', problem: `did not answer within ${Math.round(timeoutMs / 1000)} s` });
      const lastError = stderr.trim().split('\n').at(-1)?.trim();
      const exit = typeof failure?.code === 'number' ? `it exited with code ${failure.code}` : 'it printed nothing';
      resolve({ ...base, status: 'not-python', problem: `is not a working Python interpreter (${exit}${lastError ? `: ${lastError.slice(0, 200)}` : ''})` });
    });
  });
}

export const venvDir = (dataDir: string) => path.resolve(dataDir, 'venv');
const venvPython = (dataDir: string) => path.join(venvDir(dataDir), 'bin', 'python');

/** The interpreters to try, in order. */
export function trainerPythonCandidates({ dataDir, env = process.env }: TrainerEnvironmentOptions): Array<{ python: string; source: PythonSource }> {
  if (env.LATHE_PYTHON) return [{ python: env.LATHE_PYTHON, source: 'LATHE_PYTHON' }];
  const candidates: Array<{ python: string; source: PythonSource }> = [{ python: '/usr/bin/python3', source: 'debian' }];
  const onPath = findOnPath('python3', env);
  // Skip the PATH's python3 when it is Debian's own again.
  if (onPath && !samePath(onPath, '/usr/bin/python3')) candidates.push({ python: 'python3', source: 'path' });
  candidates.push({ python: venvPython(dataDir), source: 'venv' });
  return candidates.filter((c) => c.source !== 'debian' || fs.existsSync(c.python));
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not in this folder
    }
  }
  return null;
}

function samePath(a: string, b: string) {
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return false;
  }
}

function withVenv(candidates: Array<{ python: string; source: PythonSource }>, dataDir: string) {
  if (candidates.some((c) => c.source === 'LATHE_PYTHON' || c.source === 'venv')) return candidates;
  return [...candidates, { python: venvPython(dataDir), source: 'venv' as const }];
}

const cache = new Map<string, Promise<TrainerEnvironment>>();
let detectedPython: string | null = null;

/** The interpreter the last detection in this process chose, for code that needs it synchronously. */
export function detectedTrainerPython(): string | null {
  return detectedPython;
}

/** Which interpreter trains, or why none can: one quick probe per candidate, remembered for the process. */
export function detectTrainerEnvironment(options: TrainerEnvironmentOptions & { refresh?: boolean }): Promise<TrainerEnvironment> {
  const env = options.env ?? process.env;
  const candidates = options.candidates ? withVenv(options.candidates, options.dataDir) : trainerPythonCandidates({ dataDir: options.dataDir, env });
  const key = JSON.stringify([candidates, env.PATH]);
  if (options.refresh) cache.delete(key);
  let pending = cache.get(key);
  if (!pending) {
    pending = detect(candidates, options.dataDir, env);
    cache.set(key, pending);
  }
  return pending;
}

async function detect(candidates: Array<{ python: string; source: PythonSource }>, dataDir: string, env: NodeJS.ProcessEnv): Promise<TrainerEnvironment> {
  const probes: PythonProbe[] = [];
  for (const candidate of candidates) {
    if (candidate.source === 'venv' && !fs.existsSync(candidate.python)) continue;
    const probe = await probePython(candidate.python, candidate.source, { env });
    probes.push(probe);
    if (probe.status === 'ok') {
      const python = probe.executable ?? probe.python;
      detectedPython = python;
      return { available: true, python, probe, probes };
    }
  }
  return { available: false, ...explain(probes, dataDir), probes };
}

const isDebian = () => fs.existsSync('/etc/debian_version');
const isRoot = () => process.getuid?.() === 0;
const APT_PACKAGES = 'python3-torch python3-numpy libopenblas0-openmp';

const pipInstall = () => ['pip install torch numpy', ...torchIndexArgs()].join(' ');

function debianSystemPython(python: string) {
  return isDebian() && samePath(python, '/usr/bin/python3');
}

function installCommand(python: string, dataDir: string): string {
  if (debianSystemPython(python)) return `${isRoot() ? '' : 'sudo '}apt-get install -y ${APT_PACKAGES}`;
  if (python === venvPython(dataDir) || !fs.existsSync(venvPython(dataDir))) return `${python} -m ${pipInstall()}`;
  return `${venvPython(dataDir)} -m ${pipInstall()}`;
}

/** Why training cannot run, as one clause, and the one command that fixes it. */
function explain(probes: PythonProbe[], dataDir: string): { reason: string; fix: string } {
  const explicit = probes.find((p) => p.source === 'LATHE_PYTHON');
  if (explicit) {
    const reason = `LATHE_PYTHON=${explicit.python} ${explicit.problem}`;
    if (explicit.status === 'no-torch' || explicit.status === 'no-numpy' || explicit.status === 'torch-broken') return { reason, fix: installCommand(explicit.executable ?? explicit.python, dataDir) };
    return { reason, fix: 'unset LATHE_PYTHON' };
  }
  const tried = probes.map((p) => `${p.source === 'venv' ? path.relative(process.cwd(), p.python) || p.python : p.python} ${p.problem}`);
  const reason = tried.length ? `no Python here can train (${tried.join('; ')})` : 'no Python 3 interpreter was found';
  if (isDebian()) return { reason, fix: `${isRoot() ? '' : 'sudo '}apt-get install -y ${APT_PACKAGES}` };
  if (fs.existsSync(venvPython(dataDir))) return { reason, fix: installCommand(venvPython(dataDir), dataDir) };
  const base = probes.find((p) => p.pythonVersion && p.source !== 'venv');
  if (!base) return { reason, fix: 'install Python 3 (with its venv module), then run npm start again' };
  return { reason, fix: `${base.python} -m venv ${venvDir(dataDir)} && ${venvPython(dataDir)} -m ${pipInstall()}` };
}

/** One line for people: what is wrong and the command that fixes it. */
export function trainerUnavailableMessage({ reason, fix }: { reason: string; fix: string | null }): string {
  return `Training is unavailable: ${reason}.${fix ? ` Fix: ${fix}` : ''}`;
}

/** The error job creation and the CLI answer with when no trainer can run. */
export function trainerUnavailableError(problem: { reason: string; fix: string | null }): LatheError {
  return new LatheError('SERVICE_UNAVAILABLE', trainerUnavailableMessage(problem), { reason: 'trainer_unavailable' });
}

/** For commands that run the trainer here (`lathe fixtures tiny-model`): the interpreter, or the error that says what to do. */
export async function requireTrainerPython(options: TrainerEnvironmentOptions): Promise<string> {
  const environment = await detectTrainerEnvironment(options);
  if (!environment.available) throw trainerUnavailableError(environment);
  return environment.python;
}

export type SetupOptions = TrainerEnvironmentOptions & {
  log: (line: string) => void;
  /** Install python3-torch with apt-get where pip could not (Debian, as root). Default true. */
  apt?: boolean;
};

export type SetupOutcome = {
  environment: TrainerEnvironment;
  /** What was tried and failed, for the start banner. */
  attempts: string[];
};

/**
 * `npm start`'s part: when no interpreter has torch (and LATHE_PYTHON does not name one), create
 * LATHE_DATA_DIR/venv and pip-install the CPU build of torch; where no package index answers, on
 * Debian as root, apt-get install python3-torch. Then detect again.
 */
export async function setUpTrainerEnvironment(options: SetupOptions): Promise<SetupOutcome> {
  const env = options.env ?? process.env;
  const first = await detectTrainerEnvironment(options);
  const attempts: string[] = [];
  if (first.available || env.LATHE_PYTHON) return { environment: first, attempts };
  const { log, dataDir } = options;
  const venv = venvPython(dataDir);

  if (!fs.existsSync(venv)) {
    const base = first.probes.find((p) => p.pythonVersion && p.source !== 'venv');
    if (!base) attempts.push('no Python 3 to create a virtual environment with');
    else {
      log(`lathe: no Python with PyTorch; creating ${venvDir(dataDir)} with ${base.python}…`);
      const made = await run(base.python, ['-m', 'venv', venvDir(dataDir)], { env, timeoutMs: 180_000, log: () => {} });
      if (!made.ok) {
        fs.rmSync(venvDir(dataDir), { recursive: true, force: true });
        attempts.push(`${base.python} -m venv failed (${made.lastLine})`);
      }
    }
  }
  if (fs.existsSync(venv)) {
    log(`lathe: installing PyTorch into ${venvDir(dataDir)} with pip${env.LATHE_TORCH_INDEX_URL ? ' (CPU build)' : ''}; this downloads it once…`);
    // Short network timeouts and one retry: where no index answers, the start goes on in seconds.
    const pip = await run(venv, ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', '--timeout', '15', '--retries', '1', ...torchIndexArgs(env), 'torch', 'numpy'], {
      env,
      timeoutMs: 30 * 60_000,
      log: (line) => /^(Collecting|Downloading|Installing|Successfully|ERROR)/.test(line) && log(`  pip: ${line}`),
    });
    if (pip.ok) return { environment: await detectTrainerEnvironment({ ...options, refresh: true }), attempts };
    attempts.push(`pip could not install torch (${pip.lastLine})`);
  }
  if (options.apt !== false && isDebian() && isRoot() && findOnPath('apt-get', env)) {
    log(`lathe: installing ${APT_PACKAGES} with apt-get…`);
    const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () => run('apt-get', ['install', '-y', '--no-install-recommends', ...APT_PACKAGES.split(' ')], { env: aptEnv, timeoutMs: 20 * 60_000, log: () => {} });
    let apt = await install();
    // A fresh machine has no package lists yet.
    if (!apt.ok && (await run('apt-get', ['update'], { env: aptEnv, timeoutMs: 10 * 60_000, log: () => {} })).ok) apt = await install();
    if (apt.ok) return { environment: await detectTrainerEnvironment({ ...options, refresh: true }), attempts };
    attempts.push(`apt-get could not install ${APT_PACKAGES} (${apt.lastLine})`);
  }
  return { environment: await detectTrainerEnvironment({ ...options, refresh: true }), attempts };
}

function run(command: string, args: string[], options: { env: NodeJS.ProcessEnv; timeoutMs: number; log: (line: string) => void }): Promise<{ ok: boolean; lastLine: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let lastLine = '';
    const take = (line: string) => {
      if (line.trim()) lastLine = line.trim().slice(0, 300);
      options.log(line);
    };
    readline.createInterface({ input: child.stdout }).on('line', take);
    readline.createInterface({ input: child.stderr }).on('line', take);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, lastLine: error.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, lastLine: code === null ? `stopped after ${Math.round(options.timeoutMs / 1000)} s` : lastLine });
    });
  });
}
