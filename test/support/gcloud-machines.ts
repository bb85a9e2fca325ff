/**
 * "No orphan machines" as an outsider checks it: the real `gcloud` lists the
 * Compute instances, TPU nodes and queued resources of the fake cloud, and
 * the test keeps those of one job — by its `strato-job` label or by a name
 * the provider derives from the job id (`strato-<job>-a<attempt>-<replica>`
 * for a VM, `strato-<job>-<attempt>` for a slice). Not the client library the provider itself
 * uses: a second, independent reader of the same REST API.
 *
 * gcloud takes 1–2 s to start, so one look runs the lists of every fake
 * service there is at once (one process per list) and the tests look once
 * per ending. A test file using this calls `requireTool('gcloud')` and is
 * listed with the gcloud files in tools.ts.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FakeCloud } from '../../src/testing/fake-cloud.ts';

const run = promisify(execFile);

export interface GcloudMachine {
  kind: 'instance' | 'tpu-node' | 'queued-resource';
  /** As gcloud prints it: an instance's short name, a TPU resource's full name. */
  name: string;
  /** The state gcloud reports (RUNNING, READY, ACTIVE, …). */
  state: string;
}

interface Listed {
  name?: string;
  status?: string;
  state?: string | { state?: string };
  labels?: Record<string, string>;
}

/**
 * The machines of `jobId` gcloud lists on the fake cloud (every service of
 * it that is started: Compute, Cloud TPU). Empty is the only good answer
 * after a job ended.
 */
export async function gcloudMachinesOf(
  cloud: FakeCloud,
  jobId: string,
  where: { project: string; zone: string },
): Promise<GcloudMachine[]> {
  const config = mkdtempSync(join(tmpdir(), 'strato-gcloud-machines-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CLOUDSDK_CONFIG: config,
    CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
    CLOUDSDK_CORE_PROJECT: where.project,
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    ...(cloud.endpoints.computeRest
      ? { CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: cloud.endpoints.computeRest }
      : {}),
    ...(cloud.endpoints.tpu ? { CLOUDSDK_API_ENDPOINT_OVERRIDES_TPU: cloud.endpoints.tpu } : {}),
  };
  const list = async (kind: GcloudMachine['kind'], args: string[]): Promise<GcloudMachine[]> => {
    const { stdout } = await run('gcloud', [...args, '--format=json'], { env, timeout: 60_000 });
    const items = JSON.parse(stdout || '[]') as Listed[];
    return items
      .filter((item) => item.labels?.['strato-job'] === jobId || namesJob(item.name ?? '', jobId))
      .map((item) => ({ kind, name: item.name ?? '', state: stateOf(item) }));
  };
  try {
    const lists: Promise<GcloudMachine[]>[] = [];
    if (cloud.endpoints.computeRest) lists.push(list('instance', ['compute', 'instances', 'list']));
    if (cloud.endpoints.tpu) {
      const zone = `--zone=${where.zone}`;
      lists.push(list('tpu-node', ['compute', 'tpus', 'tpu-vm', 'list', zone]));
      lists.push(list('queued-resource', ['compute', 'tpus', 'queued-resources', 'list', zone]));
    }
    if (lists.length === 0) throw new Error('the fake cloud runs neither Compute nor Cloud TPU');
    return (await Promise.all(lists)).flat();
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
}

/** A name the providers give a job's machines: `strato-<job>-…` (a TPU resource's full name ends so). */
function namesJob(name: string, jobId: string): boolean {
  return name.slice(name.lastIndexOf('/') + 1).startsWith(`strato-${jobId}-`);
}

function stateOf(item: Listed): string {
  if (typeof item.state === 'string') return item.state;
  return item.state?.state ?? item.status ?? '';
}
