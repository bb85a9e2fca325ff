/**
 * Fake VMs that boot, for tests: a fake cloud with booting on, the real
 * startup script, a stand-in image, and readers of the control folder the
 * script writes (through `@google-cloud/storage`, as the provider reads it).
 */

import { readdirSync, readFileSync } from 'node:fs';
import { Storage } from '@google-cloud/storage';
import { type ExitRecord, type MachineLaunch, METADATA_KEYS } from '../../src/agent/layout.ts';
import { readProcStat } from '../../src/providers/local/proc.ts';
import { type FakeCloud, startFakeCloud } from '../../src/testing/fake-cloud.ts';
import { waitFor } from './local.ts';

export const STARTUP_SCRIPT = readFileSync(
  new URL('../../src/agent/startup-script.sh', import.meta.url),
  'utf8',
);

/** The stand-in image: its "entrypoint" is a bash program whose first argument says what to do. */
export const STAND_IN_IMAGE = 'us-docker.pkg.dev/test-project/strato-test/stand-in:1';
const STAND_IN = [
  'echo "replica=$STRATO_REPLICA greeting=$GREETING pid=$$ args=$*"',
  'if [ -n "$PID_FILE" ]; then echo "$$" > "$PID_FILE"; fi',
  'case "$1" in',
  '  exit) echo "about to exit $2"; exit "$2";;',
  '  tick) for i in $(seq 1 "$2"); do echo "tick $i"; sleep 0.5; done;;',
  '  resolve) getent hosts "$2" || { echo "cannot resolve $2"; exit 3; };;',
  'esac',
].join('\n');

export const BUCKET = 'vm-runs';

export async function startBootingCloud(graceMs = 1000): Promise<{ cloud: FakeCloud; storage: Storage }> {
  const cloud = await startFakeCloud({
    vertex: false,
    logging: false,
    tpu: { timing: { acceptMs: 20, provisionMs: 50, operationMs: 20 } },
    compute: { faults: { operationMs: 20 } },
    boot: { images: { [STAND_IN_IMAGE]: ['bash', '-c', STAND_IN, 'stand-in'] }, graceMs },
  });
  const storage = new Storage({ apiEndpoint: cloud.endpoints.storage!, projectId: 'test-project' });
  await storage.createBucket(BUCKET);
  return { cloud, storage };
}

/** The metadata the provider sets on a VM of attempt `attempt` of job `job`. */
export function jobMetadata(
  cloud: FakeCloud,
  job: string,
  launch: MachineLaunch,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    [METADATA_KEYS.startupScript]: STARTUP_SCRIPT,
    [METADATA_KEYS.job]: job,
    [METADATA_KEYS.attempt]: '1',
    [METADATA_KEYS.control]: `gs://${BUCKET}/${job}/attempts/1/`,
    [METADATA_KEYS.storageApi]: cloud.endpoints.storage!,
    [METADATA_KEYS.launch]: JSON.stringify(launch),
    ...extra,
  };
}

export async function readObject(storage: Storage, name: string): Promise<string | undefined> {
  const file = storage.bucket(BUCKET).file(name);
  const [exists] = await file.exists();
  if (!exists) return undefined;
  const [bytes] = await file.download();
  return bytes.toString('utf8');
}

export async function waitForObject(storage: Storage, name: string, timeoutMs = 30_000): Promise<string> {
  return waitFor(() => readObject(storage, name), `gs://${BUCKET}/${name}`, timeoutMs);
}

export async function waitForExit(storage: Storage, name: string, timeoutMs = 30_000): Promise<ExitRecord> {
  return JSON.parse(await waitForObject(storage, name, timeoutMs)) as ExitRecord;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Live processes (not zombies) of these process groups, from /proc. */
export function processesInGroups(pgids: number[]): number[] {
  const groups = new Set(pgids);
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      const stat = readProcStat(Number(entry));
      return stat !== undefined && groups.has(stat.pgid) && stat.state !== 'Z';
    })
    .map(Number);
}
