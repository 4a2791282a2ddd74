// Where a benchmark's CPU time goes: the machine's busy time (/proc/stat) and the time of chosen
// processes (/proc/<pid>/stat, user + system), between two snapshots. Linux only; elsewhere every
// figure is null.
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

type Snapshot = { machineBusyMs: number | null; processMs: Map<number, number> };

function machineBusyMs(): number | null {
  try {
    const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
    const [, user, nice, system, , , irq, softirq, steal] = cpu!.trim().split(/\s+/).map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) * TICK_MS;
  } catch {
    return null;
  }
}

function processMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/** The pids whose command line (arguments joined by NUL) passes `test`. */
export function pidsWhere(test: (cmdline: string) => boolean): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries.filter((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      return test(readFileSync(`/proc/${entry}/cmdline`, 'utf8'));
    } catch {
      return false; // gone meanwhile
    }
  }).map(Number);
}

/** A process's direct children. */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

export function cpuSnapshot(pids: number[]): Snapshot {
  const map = new Map<number, number>();
  for (const pid of pids) {
    const ms = processMs(pid);
    if (ms !== null) map.set(pid, ms);
  }
  return { machineBusyMs: machineBusyMs(), processMs: map };
}

/** CPU ms spent between two snapshots: the machine's, and the named groups' (pids missing from `after` count from `before` only). */
export function cpuSpent(before: Snapshot, after: Snapshot, groups: Record<string, number[]>): Record<string, number | null> {
  const out: Record<string, number | null> = {
    machine: before.machineBusyMs === null || after.machineBusyMs === null ? null : after.machineBusyMs - before.machineBusyMs,
  };
  for (const [name, pids] of Object.entries(groups)) {
    let sum = 0;
    let seen = false;
    for (const pid of pids) {
      const a = after.processMs.get(pid);
      if (a === undefined) continue;
      seen = true;
      sum += a - (before.processMs.get(pid) ?? 0);
    }
    out[name] = seen ? sum : null;
  }
  return out;
}
