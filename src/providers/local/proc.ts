/**
 * Process facts from the OS, for telling whether a recorded process is still
 * the one we started. A pid alone is not enough: pids are reused, so where
 * `/proc` exists (Linux) the process start time is recorded beside the pid
 * and compared; elsewhere only `kill(pid, 0)` is available.
 */

import { readdirSync, readFileSync } from 'node:fs';

interface ProcStat {
  state: string;
  pgid: number;
  /** Field 22 of /proc/PID/stat: start time in clock ticks since boot. */
  startTicks: number;
}

/** Parses /proc/PID/stat; undefined when the process does not exist or /proc is absent. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); field N is fields[N - 3] (proc(5)).
  return { state: fields[0] ?? '?', pgid: Number(fields[2]), startTicks: Number(fields[19]) };
}

/** Start time of a process, to store beside its pid; undefined without /proc. */
export function processStartTicks(pid: number): number | undefined {
  return readProcStat(pid)?.startTicks;
}

/**
 * Whether the process runs: exists, is not a zombie (exited, not yet reaped)
 * and, when `startTicks` is given and /proc exists, is the same process.
 */
export function isProcessAlive(pid: number, startTicks?: number): boolean {
  const stat = readProcStat(pid);
  if (stat) {
    if (stat.state === 'Z' || stat.state === 'X') return false;
    return startTicks === undefined || stat.startTicks === startTicks;
  }
  try {
    process.kill(pid, 0);
    // Without /proc we cannot see zombies or pid reuse; trust kill(0).
    return !existsProcFs();
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function existsProcFs(): boolean {
  try {
    readdirSync('/proc/self');
    return true;
  } catch {
    return false;
  }
}

/** Live (non-zombie) pids whose process group is `pgid`; empty without /proc. */
export function processesInGroup(pgid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat && stat.pgid === pgid && stat.state !== 'Z' && stat.state !== 'X') out.push(Number(entry));
  }
  return out;
}

/** Signals a whole process group; a group that is gone is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Signals one process; a process that is gone is fine. */
export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
