/**
 * A local job's processes, found from its folder rather than from its
 * records: the supervisor writes to `<job dir>/supervisor.log` and every
 * replica to `<job dir>/logs/<replica>.log`, so a process whose stdout or
 * stderr is a file in the job folder belongs to the job. This still works
 * when `job.json` or `supervisor.json` is damaged or gone, which is when it
 * is needed: `strato cancel --force` and `strato list` (a damaged job that
 * still runs is shown, never hidden). Linux only (`/proc`); elsewhere it
 * finds nothing and says so.
 */

import { readdirSync, readlinkSync } from 'node:fs';
import { sep } from 'node:path';
import { sleep } from '../../internal/sleep.ts';
import { isProcessAlive, readProcStat, signalGroup, signalProcess } from './proc.ts';

export interface JobProcess {
  pid: number;
  /** Its process group: the supervisor and each replica lead their own. */
  pgid: number;
  startTicks: number;
}

/** Whether this system lists processes in /proc (the only way to find them without the records). */
export function canListProcesses(): boolean {
  try {
    readdirSync('/proc/self/fd');
    return true;
  } catch {
    return false;
  }
}

/** Processes (other than this one) whose stdout or stderr is a file inside `jobDir`. */
export function findJobProcesses(jobDir: string): JobProcess[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const inside = jobDir.endsWith(sep) ? jobDir : jobDir + sep;
  const found: JobProcess[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const writesInside = [1, 2].some((fd) => {
      try {
        return readlinkSync(`/proc/${entry}/fd/${fd}`).startsWith(inside);
      } catch {
        return false; // gone, or another user's process
      }
    });
    if (!writesInside) continue;
    const stat = readProcStat(Number(entry));
    if (stat && stat.state !== 'Z' && stat.state !== 'X') {
      found.push({ pid: Number(entry), pgid: stat.pgid, startTicks: stat.startTicks });
    }
  }
  return found;
}

/**
 * Signals the job's processes: the whole group of each one that leads its
 * group (the supervisor and every replica do), only the process itself
 * otherwise (a shell of the user's that happens to write into the folder
 * must not lose its whole job group).
 */
function signalAll(processes: readonly JobProcess[], signal: NodeJS.Signals): void {
  const leaders = new Set(processes.filter((p) => p.pid === p.pgid).map((p) => p.pgid));
  for (const pgid of leaders) signalGroup(pgid, signal);
  for (const p of processes) if (!leaders.has(p.pgid)) signalProcess(p.pid, signal);
}

/**
 * Stops every process of the job: SIGTERM first (the supervisor then stops
 * its replicas as in a normal cancel), SIGKILL to what is left after
 * `graceMs`. Returns the processes that were found.
 */
export async function stopJobProcesses(jobDir: string, graceMs: number, pollMs = 50): Promise<JobProcess[]> {
  const found = findJobProcesses(jobDir);
  signalAll(found, 'SIGTERM');
  const alive = () => found.filter((p) => isProcessAlive(p.pid, p.startTicks));
  const deadline = Date.now() + graceMs;
  while (alive().length > 0 && Date.now() < deadline) await sleep(pollMs);
  // Anything still writing into the folder, including replicas started meanwhile.
  signalAll([...alive(), ...findJobProcesses(jobDir)], 'SIGKILL');
  for (let i = 0; i < 100 && alive().length > 0; i++) await sleep(20);
  return found;
}
