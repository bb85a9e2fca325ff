/**
 * Benchmark of the machine providers (`gce`, `tpu-vm`) on the fake cloud,
 * in this process, on 127.0.0.1 (not a test): `npm run bench:machines`.
 *
 * 1. Submit to every replica running, for 1, 4 and 16 hosts: gce with 1, 4
 *    and 16 worker VMs; tpu-vm with v4-8, v4-32 and v4-128 (1, 4, 16 hosts).
 *    The fake's operations take 2 s (a VM insert; a TPU create, its node's
 *    CREATING → READY). Goal: creation in parallel, 16 hosts < 3× one host.
 * 2. The API calls of one status tick over 20 running jobs, by kind.
 *    Goal: one list call per resource type and zone, plus one bucket listing.
 *
 * The VMs do not boot (`boot-stand-in.ts` writes each host's boot record
 * when the fake brings its machine up); everything made is deleted and the
 * fakes closed at the end.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { table } from '../../src/cli/format.ts';
import { createComputeApi, operationOf } from '../../src/infra/gcp/compute-api.ts';
import { createGceProvider } from '../../src/providers/gce/index.ts';
import { createTpuVmProvider } from '../../src/providers/tpu-vm/index.ts';
import { startFakeCloud } from '../../src/testing/fake-cloud.ts';
import { startBootStandIn } from './boot-stand-in.ts';
import { BUCKET, PROJECT, TPU_PARENT, V4_SLICE_FOR_HOSTS } from './jobs.ts';
import { type LaunchSample, launchOnce, POLL_MS } from './launch.ts';
import { GCE_ZONES, POLLED_JOBS, pollingCost, StorageCalls } from './polling.ts';

const OPERATION_MS = 2000;
const QUICK_MS = 20;
const HOSTS = [1, 4, 16];
const REPEATS = 3;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const home = mkdtempSync(join(tmpdir(), 'strato-bench-machines-'));
const storage = new StorageCalls();
const cloud = await startFakeCloud({
  storage: { buckets: [{ name: BUCKET }], onRequest: storage.onRequest },
  compute: { faults: { operationMs: QUICK_MS } },
  // acceptMs: ACCEPTED → WAITING_FOR_RESOURCES; capacity then comes at once (no capacity rule).
  tpu: { timing: { acceptMs: 500, provisionMs: OPERATION_MS, operationMs: OPERATION_MS } },
  vertex: false,
  logging: false,
  iam: false,
  artifactRegistry: false,
});
const compute = cloud.compute!;
const tpu = cloud.tpu!;
const standIn = startBootStandIn({ compute, tpu, tpuParents: [TPU_PARENT] });
const env = { ...process.env, ...cloud.env };

function slowOperations(slow: boolean): void {
  compute.capacity.operationMs = slow ? OPERATION_MS : QUICK_MS;
  tpu.timing.operationMs = slow ? OPERATION_MS : QUICK_MS;
  tpu.timing.provisionMs = slow ? OPERATION_MS : QUICK_MS;
}

/** The project's `default` network, which the gce provider's VMs join (a real project has it). */
async function createDefaultNetwork(): Promise<void> {
  const api = await createComputeApi({ env: cloud.env });
  try {
    const result = await api.networks.insert({
      project: PROJECT,
      networkResource: { name: 'default', autoCreateSubnetworks: true },
    });
    await api.waitFor(operationOf(result), {
      id: 'default',
      action: 'creating network default',
      project: PROJECT,
    });
  } finally {
    await api.close();
  }
}

const startupScript = '#!/bin/sh\n# bench: the machines do not boot (bench/machines/boot-stand-in.ts)\n';
const providers = {
  gce: createGceProvider({ env: cloud.env, pollScale: 0, startupScript }),
  'tpu-vm': createTpuVmProvider({ env: cloud.env, pollScale: 0, startupScript }),
};

/** Machines of any job still in the fakes (after the clean-up: none). */
function leftBehind(): { vms: number; slices: number } {
  return { vms: compute.context.instances.size, slices: tpu.listQueuedResources(TPU_PARENT).length };
}

try {
  await createDefaultNetwork();
  const setup = { providers, standIn, home, env, slowOperations };
  // One job first, unmeasured: module loading and the clients' first connections are not launch time.
  await launchOnce(setup, 'gce', 1);
  await launchOnce(setup, 'tpu-vm', 1);

  const launchRows = [
    ['PROVIDER', 'HOSTS', 'SHAPE', 'SUBMIT RETURNED', 'MACHINES UP', 'ALL RUNNING', 'RATIO TO 1 HOST'],
  ];
  const goals: string[] = [];
  for (const kind of ['gce', 'tpu-vm'] as const) {
    let oneHost = Number.NaN;
    const byHosts = new Map<number, number>();
    for (const hosts of HOSTS) {
      const samples: LaunchSample[] = [];
      for (let i = 0; i < REPEATS; i++) samples.push(await launchOnce(setup, kind, hosts));
      const running = median(samples.map((s) => s.running));
      if (hosts === 1) oneHost = running;
      byHosts.set(hosts, running);
      launchRows.push([
        kind,
        String(hosts),
        kind === 'gce' ? `${hosts} × n1-standard-4` : V4_SLICE_FOR_HOSTS[hosts]!.type,
        `${median(samples.map((s) => s.submitted)).toFixed(2)} s`,
        `${median(samples.map((s) => s.machinesUp)).toFixed(2)} s`,
        `${running.toFixed(2)} s (${samples.map((s) => s.running.toFixed(2)).join(', ')})`,
        `${(running / oneHost).toFixed(2)}×`,
      ]);
    }
    const ratio = byHosts.get(16)! / oneHost;
    goals.push(
      `${kind}: 16 hosts / 1 host = ${ratio.toFixed(2)}× — goal < 3×: ${ratio < 3 ? 'PASS' : 'FAIL'}`,
    );
  }
  console.log(
    `Submit to all replicas running (fake operations ${OPERATION_MS / 1000} s; median of ${REPEATS}, each run in brackets):`,
  );
  console.log(table(launchRows));
  for (const goal of goals) console.log(goal);
  console.log(
    [
      '"All running" = the first fresh status (read every',
      `${POLL_MS} ms, pacing off) with the job RUNNING and every replica RUNNING (IDLE for a TPU host that runs`,
      "nothing): its VMs RUNNING / its node READY (+ queued resource ACTIVE) and each host's boot record in the",
      'bucket. The VMs do not boot: a stand-in writes the boot record the moment the fake brings a machine up',
      '("machines up", seen in the fake\'s state every 10 ms). "Submit" = the plan compiled + the provider\'s',
      'submit (no job record nor controller process). On the fake a TPU slice is one node whatever its hosts; the',
      "real service's provisioning time grows with the slice, which the fake does not model.",
    ].join(' '),
  );

  const pollRows = [['PROVIDER', 'JOBS', 'MACHINES', 'ZONES', 'CALLS IN ONE TICK (by kind)', 'TICK', 'GOAL']];
  for (const kind of ['gce', 'tpu-vm'] as const) {
    const cost = await pollingCost(
      {
        provider: providers[kind],
        cloud,
        storage,
        home,
        env,
        slowOperations,
        expect: (jobId, machines) => standIn.expect(jobId, machines),
      },
      kind,
    );
    const lists = [...cost.calls].filter(([key]) => !key.startsWith('GCS'));
    const listings = cost.calls.get('GCS objects.list') ?? 0;
    const listsOk =
      lists.length > 0 && lists.every(([key, n]) => /(\/instances|\.list)$/.test(key) && n === cost.zones);
    const goal = `lists per type and zone: ${listsOk ? 'PASS' : 'FAIL'}; bucket listings ${listings} (goal 1): ${listings === 1 ? 'PASS' : 'FAIL'}`;
    pollRows.push([
      kind,
      String(cost.jobs),
      String(cost.machines),
      kind === 'gce' ? GCE_ZONES.join(', ') : 'us-central2-b',
      [...cost.calls].map(([key, n]) => `${key} ×${n}`).join(', '),
      `${cost.seconds.toFixed(2)} s`,
      goal,
    ]);
  }
  console.log('');
  console.log(
    `Polling cost: one statusMany over ${POLLED_JOBS} running jobs, every job read fresh (pacing off):`,
  );
  console.log(table(pollRows));
  console.log(
    [
      'Counted: every request the fake Compute, fake TPU and fake Cloud Storage answered during that one call.',
      'gce jobs: 2 worker VMs each, alternating between the two zones; tpu-vm jobs: a v4-32 (4 hosts) each.',
      "The jobs' control folders (<run dir>/attempts/<n>/) are read with one bucket listing: their longest",
      "common prefix with a matchGlob of {<folder>,…}*, so only the folders' own objects come back, not the",
      "run dirs' checkpoints and outputs (up to 50 folders a listing; more jobs in one bucket take more).",
    ].join(' '),
  );
  const left = leftBehind();
  console.log(
    `\nLeft behind after the clean-up: ${left.vms} VMs, ${left.slices} queued resources. (2 cores, load average ${loadavg()[0]!.toFixed(1)})`,
  );
} finally {
  await standIn.stop();
  await cloud.close();
  rmSync(home, { recursive: true, force: true });
}
