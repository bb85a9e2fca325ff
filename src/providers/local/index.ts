/**
 * The `local` provider: every replica a process on this machine, with the
 * environment a cloud replica gets and loopback addresses in TF_CONFIG.
 *
 * `submit` writes the plan next to a QUEUED record in the job folder and
 * starts a detached supervisor process (`supervisor-main.ts`) that runs
 * attempt 1; `startAttempt` starts the supervisor of a later one. Any
 * process can then read `supervisor.json` for the status, tail
 * `logs/<replica>.log`, or cancel by signalling the supervisor.
 */

import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { StratoError } from '../../errors.ts';
import { findJson, writeJsonAtomic } from '../../internal/atomic-json.ts';
import { sleep } from '../../internal/sleep.ts';
import type { ClusterPlan, ReplicaRole } from '../../strategies/plan.ts';
import { PROVIDER_CAPABILITIES } from '../capabilities.ts';
import {
  isTerminalState,
  type JobHandle,
  type JobStatus,
  type LogLine,
  type LogOptions,
  type Provider,
  type SubmitContext,
} from '../types.ts';
import { dockerEngineAnswers } from './docker.ts';
import { LineFollower } from './log-files.ts';
import { allocatePorts, LOOPBACK_HOST } from './ports.ts';
import { isProcessAlive, processStartTicks, signalProcess } from './proc.ts';
import { reconcileDeadSupervisor, type SupervisorIdentity, supervisorOf } from './reconcile.ts';
import { DEFAULT_GRACE_MS } from './replica-group.ts';
import { initialLocalState, jobFiles, type LaunchSpec, toJobStatus, writeLocalState } from './state.ts';
import { findCheckedLocalState as findLocalState } from './state-schema.ts';
import { supervisorNodeArgs } from './supervisor-launch.ts';

/** How the local provider runs and watches its replicas. */
export interface LocalProviderOptions {
  /** SIGTERM → SIGKILL delay when stopping replicas. Default 10 s. */
  graceMs?: number;
  /** How often `logs --follow` and `cancel` look again. Default 200 ms. */
  pollIntervalMs?: number;
  /** Ports offered first to the cluster (tests offer a taken one). */
  portCandidates?: readonly number[];
  now?(): Date;
}

interface LocalHandleData extends SupervisorIdentity {
  jobDir: string;
}

function handleData(handle: JobHandle): LocalHandleData {
  const data = handle.data as Partial<LocalHandleData>;
  if (handle.provider !== 'local' || typeof data.jobDir !== 'string') {
    throw new StratoError('E_NOT_FOUND', `no local job behind handle ${handle.id}`, {
      hint: 'the job record is not a local one; `strato list` shows the jobs that exist',
    });
  }
  return data as LocalHandleData;
}

/** Whether the process that created an attempt marker still lives (unknown counts as alive). */
function starterAlive(marker: string): boolean {
  try {
    const starter = JSON.parse(readFileSync(marker, 'utf8')) as { pid: number; startTicks?: number };
    return isProcessAlive(starter.pid, starter.startTicks);
  } catch {
    return true;
  }
}

/**
 * Starts the detached supervisor of one attempt. With `owned`, its stdin is
 * a pipe from this process: when this process dies, the supervisor cancels
 * the job (`stopWhenCallerExits`).
 */
function spawnSupervisor(
  jobDir: string,
  env: NodeJS.ProcessEnv,
  owned: boolean,
  attempt: number,
): SupervisorIdentity {
  const files = jobFiles(jobDir);
  const log = openSync(files.supervisorLog, 'a', 0o600);
  const child = spawn(
    process.execPath,
    [
      ...supervisorNodeArgs(),
      jobDir,
      ...(attempt > 1 ? ['--attempt', String(attempt)] : []),
      ...(owned ? ['--owner-pipe'] : []),
    ],
    { cwd: jobDir, env, detached: true, stdio: [owned ? 'pipe' : 'ignore', log, log] },
  );
  closeSync(log);
  if (child.pid === undefined) {
    throw new StratoError('E_IO', `could not start the supervisor for ${jobDir}`, {
      hint: `see ${files.supervisorLog}`,
    });
  }
  child.on('error', () => {});
  child.unref();
  // The pipe stays open as long as this process lives; it must not keep it alive.
  child.stdin?.on('error', () => {});
  (child.stdin as unknown as { unref?(): void } | null)?.unref?.();
  const startTicks = processStartTicks(child.pid);
  return { pid: child.pid, ...(startTicks !== undefined ? { startTicks } : {}) };
}

/**
 * The provider that runs every replica as a process on this machine, on
 * loopback ports, with the environment a cloud replica would get; each job is
 * watched by a detached supervisor, so it outlives the command that started it.
 */
export function createLocalProvider(options: LocalProviderOptions = {}): Provider {
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const pollMs = options.pollIntervalMs ?? 200;
  const now = options.now ?? (() => new Date());

  function readStatus(handle: JobHandle): JobStatus {
    const data = handleData(handle);
    const state = reconcileDeadSupervisor(data.jobDir, data, now());
    if (!state) {
      throw new StratoError('E_NOT_FOUND', `local job ${handle.id} has no state in ${data.jobDir}`, {
        hint: 'the job folder was removed; `strato list` shows the jobs that exist',
      });
    }
    return toJobStatus(state);
  }

  const provider: Provider = {
    name: 'local',
    capabilities: PROVIDER_CAPABILITIES.local,

    async planContext(_jobId, replicaCount) {
      const ports = await allocatePorts(replicaCount, {
        host: LOOPBACK_HOST,
        ...(options.portCandidates ? { candidates: options.portCandidates } : {}),
      });
      const assigned = new Map<string, string>();
      return {
        addressOf(role: ReplicaRole, index: number) {
          const key = `${role}-${index}`;
          let address = assigned.get(key);
          if (!address) {
            const port = ports[assigned.size];
            if (port === undefined) throw new StratoError('E_INTERNAL', `no port left for ${key}`);
            address = `${LOOPBACK_HOST}:${port}`;
            assigned.set(key, address);
          }
          return address;
        },
      };
    },

    async submit(plan: ClusterPlan, context: SubmitContext): Promise<JobHandle> {
      if (context.docker && !dockerEngineAnswers()) {
        throw new StratoError('E_UNSUPPORTED', '--docker: no Docker engine answers on this machine', {
          hint: 'start Docker (docker info must work), or run without --docker',
        });
      }
      const { jobDir, jobId } = context;
      const files = jobFiles(jobDir);
      // Logs print what the trainer prints, secrets included: owner only, as the records.
      mkdirSync(files.logs, { recursive: true, mode: 0o700 });
      for (const replica of plan.replicas)
        if (replica.runsProgram) writeFileSync(files.replicaLog(replica.name), '', { mode: 0o600 });
      const launch: LaunchSpec = {
        jobId,
        plan,
        cwd: resolve(context.baseDir, plan.workingDir ?? '.'),
        docker: context.docker ?? false,
        graceMs,
        stopWhenCallerExits: context.stopWhenCallerExits ?? false,
      };
      writeJsonAtomic(files.launch, launch);
      writeLocalState(jobDir, initialLocalState(jobId, plan, now()));

      const supervisor = spawnSupervisor(jobDir, context.env, launch.stopWhenCallerExits, 1);
      const data: LocalHandleData = { jobDir, ...supervisor };
      return { provider: 'local', id: jobId, data: { ...data } };
    },

    async status(handle) {
      return readStatus(handle);
    },

    async startAttempt(handle, attempt, reason) {
      const data = handleData(handle);
      const files = jobFiles(data.jobDir);
      const state = findLocalState(data.jobDir);
      const launch = findJson<LaunchSpec>(files.launch);
      if (!state || !launch) {
        throw new StratoError('E_NOT_FOUND', `local job ${handle.id} has no state in ${data.jobDir}`);
      }
      const current = (): JobHandle => ({
        ...handle,
        data: { jobDir: data.jobDir, ...supervisorOf(state, data) },
      });
      if (state.attempt >= attempt) return current();
      if (!isTerminalState(state.state) || existsSync(files.cancelMarker)) {
        throw new StratoError(
          'E_INTERNAL',
          `attempt ${state.attempt} of ${handle.id} has not ended (or was cancelled)`,
        );
      }
      // The exclusive marker makes this idempotent across processes: one attempt N, whoever asks.
      const marker = files.attemptMarker(attempt);
      const starter = JSON.stringify({ pid: process.pid, startTicks: processStartTicks(process.pid) });
      mkdirSync(dirname(marker), { recursive: true });
      try {
        writeFileSync(marker, starter, { flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const latest = findLocalState(data.jobDir) ?? state;
        if (latest.attempt >= attempt || starterAlive(marker)) {
          return { ...handle, data: { jobDir: data.jobDir, ...supervisorOf(latest, data) } };
        }
        // Its starter died between the marker and the state: nothing of attempt N runs; start it.
        writeFileSync(marker, starter);
      }
      const at = now().toISOString();
      const fresh = initialLocalState(state.jobId, launch.plan, now());
      // Started right before the state names it: a reader never sees attempt N without its supervisor.
      const supervisor = spawnSupervisor(data.jobDir, process.env, launch.stopWhenCallerExits, attempt);
      writeLocalState(data.jobDir, {
        ...fresh,
        createdAt: state.createdAt,
        ...(state.startedAt ? { startedAt: state.startedAt } : {}),
        attempt,
        restarts: [...state.restarts, { attempt, at, reason }],
        supervisor,
        message: `starting attempt ${attempt}`,
      });
      return { ...handle, data: { jobDir: data.jobDir, ...supervisor } };
    },

    reattachOptions() {
      return {
        graceMs,
        pollIntervalMs: pollMs,
      };
    },

    logs(handle: JobHandle, logOptions: LogOptions = {}): AsyncIterable<LogLine> {
      return followLogs(handle, logOptions, pollMs, readStatus);
    },

    async cancel(handle, reason = 'cancelled by request') {
      const data = handleData(handle);
      const status = readStatus(handle);
      if (isTerminalState(status.state)) return;
      const files = jobFiles(data.jobDir);
      writeFileSync(files.cancelMarker, `${reason}\n`);
      const state = findLocalState(data.jobDir);
      const supervisor = state ? supervisorOf(state, data) : data;
      if (supervisor.pid !== undefined && isProcessAlive(supervisor.pid, supervisor.startTicks)) {
        signalProcess(supervisor.pid, 'SIGTERM');
      }
      // The supervisor stops the replicas within the grace period; give it that and a little more.
      const deadline = Date.now() + graceMs + 10_000;
      while (Date.now() < deadline) {
        if (isTerminalState(readStatus(handle).state)) return;
        await sleep(Math.min(pollMs, 50));
      }
      if (supervisor.pid !== undefined && isProcessAlive(supervisor.pid, supervisor.startTicks)) {
        signalProcess(supervisor.pid, 'SIGKILL');
      }
      for (let i = 0; i < 100 && supervisor.pid !== undefined; i++) {
        if (!isProcessAlive(supervisor.pid, supervisor.startTicks)) break;
        await sleep(20);
      }
      readStatus(handle);
    },
  };
  return provider;
}

async function* followLogs(
  handle: JobHandle,
  options: LogOptions,
  pollMs: number,
  readStatus: (handle: JobHandle) => JobStatus,
): AsyncGenerator<LogLine> {
  const { jobDir } = handleData(handle);
  const status = readStatus(handle);
  const names = status.replicas.filter((r) => r.state !== 'IDLE').map((r) => r.name);
  if (options.replica !== undefined && !names.includes(options.replica)) {
    throw new StratoError('E_NOT_FOUND', `job ${handle.id} has no replica "${options.replica}"`, {
      hint: `replicas: ${names.join(', ')}`,
    });
  }
  const files = jobFiles(jobDir);
  const followers = (options.replica !== undefined ? [options.replica] : names).map(
    (name) => [name, new LineFollower(files.replicaLog(name))] as const,
  );
  const interval = options.pollIntervalMs ?? pollMs;
  // Local lines carry no time: `tail` keeps the last N of each replica's backlog.
  let tail = options.tail;
  for (;;) {
    const ended = !options.follow || options.signal?.aborted || isTerminalState(readStatus(handle).state);
    for (const [replica, follower] of followers) {
      const lines = follower.readNew(ended);
      if (tail === undefined) {
        for (const text of lines) yield { replica, text };
        continue;
      }
      const kept: string[] = [];
      for (const text of lines) {
        kept.push(text);
        if (kept.length > tail) kept.shift();
      }
      for (const text of kept) yield { replica, text };
    }
    tail = undefined;
    if (ended) return;
    await sleep(interval);
  }
}
