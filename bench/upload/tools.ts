/** Running the fake server and the two clients, with wall time and CPU time for each run. */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { type UploadDatasetOptions, uploadDataset } from '../../src/storage/sync/upload-dataset.ts';
import { fakeGcsEnv } from '../../src/testing/index.ts';

const run = promisify(execFile);

export interface Measurement {
  seconds: number;
  /** Client CPU seconds (user + system). */
  cpu: number;
  /** Fake server CPU seconds over the same run, when /proc tells. */
  serverCpu?: number;
}

export interface FakeServer {
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

/** `strato fake-cloud` in its own process, so its CPU is not the client's; in memory without a data dir. */
export async function startFakeServer(dataDir: string | undefined, bucket: string): Promise<FakeServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      'bin/strato.js',
      'fake-cloud',
      '--json',
      ...(dataDir ? ['--data-dir', dataDir] : []),
      '--bucket',
      bucket,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  const [first] = (await once(lines, 'line')) as [string];
  lines.close();
  child.stdout!.resume();
  const { storage } = JSON.parse(first) as { storage: string };
  return {
    endpoint: storage,
    pid: child.pid!,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** CPU seconds a process has used so far (Linux /proc; undefined elsewhere). */
export function processCpu(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of /proc/PID/stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function withServerCpu<T extends Measurement>(server: FakeServer, measure: () => Promise<T>): Promise<T> {
  const before = processCpu(server.pid);
  return measure().then((m) => {
    const after = processCpu(server.pid);
    return before === undefined || after === undefined ? m : { ...m, serverCpu: after - before };
  });
}

export function measureStrato(
  server: FakeServer,
  src: string,
  dst: string,
  options: UploadDatasetOptions,
): Promise<Measurement & { uploaded: number }> {
  return withServerCpu(server, async () => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const summary = await uploadDataset(src, dst, options);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    return { seconds, cpu: (used.user + used.system) / 1e6, uploaded: summary.uploaded };
  });
}

/**
 * A command in its own process, wall time and CPU: bash's `times` reports the
 * CPU its children used.
 */
function measureCommand(server: FakeServer, command: string[], env: NodeJS.ProcessEnv): Promise<Measurement> {
  return withServerCpu(server, async () => {
    const quoted = command.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
    const started = performance.now();
    const { stdout } = await run('bash', ['-c', `${quoted} >/dev/null 2>&1 || exit 1; times`], {
      env,
      maxBuffer: 1024 * 1024,
    });
    const seconds = (performance.now() - started) / 1000;
    // `times`: shell user/sys on line 1, children's user/sys on line 2, as 0m1.234s.
    const children = stdout.trim().split('\n')[1] ?? '';
    const cpu = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
      (sum, m) => sum + Number(m[1]) * 60 + Number(m[2]),
      0,
    );
    return { seconds, cpu };
  });
}

/** `rclone copy` against the same server, anonymous, on the JSON API endpoint. */
export function measureRclone(server: FakeServer, src: string, dst: string): Promise<Measurement> {
  const env = { ...process.env, ...fakeGcsEnv(server.endpoint), RCLONE_CONFIG: '/dev/null' };
  return measureCommand(
    server,
    ['rclone', 'copy', src, `fakegcs:${dst}`, '--transfers', '16', '--checkers', '16'],
    env,
  );
}

/** `strato data push` as a user runs it: a new process, from the package build (dist/). */
export function measureStratoCli(
  server: FakeServer,
  src: string,
  dst: string,
  home: string,
): Promise<Measurement> {
  const env = { ...process.env, STRATO_HOME: home };
  return measureCommand(
    server,
    [
      process.execPath,
      'bin/strato.js',
      'data',
      'push',
      src,
      dst,
      '--endpoint',
      server.endpoint,
      '--quiet',
      '--json',
    ],
    env,
  );
}

/**
 * Reads every file under `dir` once, so each measured run starts with the
 * same page cache (the first reader would otherwise pay for the disk). One
 * buffer for all the reads: a GB of garbage left in this process would be
 * collected during the next run, which for strato is measured in here.
 */
export async function warmCache(dir: string): Promise<void> {
  const buffer = Buffer.allocUnsafe(1 << 20);
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = await open(join(entry.parentPath, entry.name), 'r');
    try {
      while ((await file.read(buffer, 0, buffer.length)).bytesRead > 0) {
        // only the reading matters
      }
    } finally {
      await file.close();
    }
  }
}

export async function hasRclone(): Promise<boolean> {
  try {
    await run('rclone', ['version']);
    return true;
  } catch {
    return false;
  }
}
