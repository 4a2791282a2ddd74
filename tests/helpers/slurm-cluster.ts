// A one-node Slurm cluster for tests: its own munged, slurmctld and slurmd, configured by a
// generated slurm.conf (this host's short name, CPUs and memory; state, spool, pid and log files in a
// temp folder; its own ports), started once per test file. Client commands reach it through the
// SLURM_CONF in `env`. When Slurm cannot start (packages missing, not root), `startSlurmCluster`
// says why: tests skip loudly, and fail under LATHE_REQUIRE_SLURM=1 as CI sets.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface SlurmCluster {
  dir: string;
  /** The shared folder jobs write to (one node: any local folder). */
  workdir: string;
  partition: string;
  node: string;
  cpus: number;
  /** Environment for sbatch, squeue, scontrol, scancel and sinfo. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export const SLURM_REQUIRED = process.env.LATHE_REQUIRE_SLURM === '1';

const BINARIES = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch', '/usr/bin/sinfo'];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it is true; the daemons say nothing when they are ready. */
async function until(what: string, probe: () => boolean, timeoutMs: number, logs: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`Slurm did not start: timed out waiting for ${what}.\n${logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startSlurmCluster(): Promise<SlurmCluster | { reason: string }> {
  const missing = BINARIES.filter((binary) => !existsSync(binary));
  if (missing.length) return { reason: `Slurm is not installed (missing ${missing.join(', ')}; apt-get install slurm-wlm munge)` };
  if (process.getuid?.() !== 0) return { reason: 'the test cluster runs slurmctld and slurmd as root, and this process is not root' };

  const dir = mkdtempSync(path.join(os.tmpdir(), 'lathe-slurm-'));
  chmodSync(dir, 0o700);
  const node = os.hostname().split('.')[0]!;
  const cpus = os.availableParallelism();
  const memoryMb = Math.max(512, Math.floor((os.totalmem() / 1024 / 1024) * 0.8));
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  const cluster = `lathe${randomBytes(3).toString('hex')}`;
  const partition = 'lathe';
  for (const sub of ['state', 'spool', 'munge', 'work']) mkdirSync(path.join(dir, sub), { mode: 0o700 });
  const socket = path.join(dir, 'munge', 'munge.socket');
  const key = path.join(dir, 'munge', 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });

  const conf = path.join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      `ClusterName=${cluster}`,
      `SlurmctldHost=${node}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${dir}/slurmctld.log`,
      `SlurmdLogFile=${dir}/slurmd.log`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'ReturnToService=2',
      'MpiDefault=none',
      'SwitchType=switch/none',
      // A finished job's state stays readable with `scontrol show job` (no accounting database here).
      'MinJobAge=3600',
      'JobRequeue=1',
      // A job past its time limit is signalled at the next time-limit sweep (slurmctld runs one
      // every 30 s, not configurable), with no grace minutes, and killed a few seconds later.
      'OverTimeLimit=0',
      'KillWait=3',
      'InactiveLimit=0',
      'SchedulerType=sched/backfill',
      'SlurmctldTimeout=30',
      'SlurmdTimeout=60',
      `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memoryMb} State=UNKNOWN`,
      `PartitionName=${partition} Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );

  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: conf };
  const children: ChildProcess[] = [];
  const logs = () =>
    ['slurmctld.log', 'slurmd.log', 'munged.log']
      .map((name) => path.join(dir, name))
      .filter((file) => existsSync(file))
      .map((file) => `--- ${path.basename(file)}\n${readFileSync(file, 'utf8').split('\n').slice(-15).join('\n')}`)
      .join('\n');
  const daemon = (command: string, args: string[]) => {
    const child = spawn(command, args, { env, stdio: 'ignore', detached: true });
    child.on('error', () => {});
    children.push(child);
  };
  const stop = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        continue;
      }
      const kill = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(kill);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    daemon('/usr/sbin/munged', ['-F', '--force', `--socket=${socket}`, `--key-file=${key}`, `--pid-file=${dir}/munge/munged.pid`, `--log-file=${dir}/munged.log`, `--seed-file=${dir}/munge/munged.seed`]);
    await until('munged', () => existsSync(socket), 20_000, logs);
    daemon('/usr/sbin/slurmctld', ['-D', '-i', '-f', conf]);
    daemon('/usr/sbin/slurmd', ['-D', '-N', node, '-f', conf]);
    await until(
      'the node to be idle in sinfo',
      () => {
        const result = spawnSync('sinfo', ['-h', '-N', '-o', '%T'], { env, encoding: 'utf8' });
        return result.status === 0 && /^idle/m.test(result.stdout);
      },
      60_000,
      logs,
    );
  } catch (error) {
    await stop();
    return { reason: (error as Error).message };
  }
  return { dir, workdir: path.join(dir, 'work'), partition, node, cpus, env, stop };
}
