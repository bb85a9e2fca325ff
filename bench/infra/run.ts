/**
 * Infra benchmark (not a test): how many API calls a plan costs, and how
 * long a deploy of many VMs takes, against the fake cloud on loopback.
 *
 * 1. A 50-resource stack (2 buckets, an IAM binding, a network, a firewall
 *    rule, 45 GPU VMs): the calls and time of a plan before anything exists,
 *    of the deploy, and of the plan after it (nothing to do). The goal: reads
 *    batched by kind and zone — a handful of list calls, not a GET per
 *    resource.
 * 2. A deploy of 20 VMs whose every operation takes 2 s on the fake, against
 *    the 20 × 2 s a one-at-a-time deploy would take. The goal: under 6 s.
 *
 *   npm run bench:infra
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { table } from '../../src/cli/format.ts';
import { deployStack, planStack } from '../../src/infra/engine.ts';
import { startFakeCloud } from '../../src/testing/index.ts';

const work = mkdtempSync(join(tmpdir(), 'strato-bench-infra-'));
let storageCalls = 0;
const cloud = await startFakeCloud({
  storage: { onRequest: () => storageCalls++ },
  vertex: false,
  tpu: false,
  compute: { faults: { operationMs: 20 } },
});
const compute = cloud.compute!;

/** A YAML stack: `vms` spot A100 VMs in one group, a network and its TF-port rule, and optionally two buckets. */
function writeStack(name: string, vms: number, buckets: boolean): string {
  const names = Array.from({ length: vms }, (_, i) => `w-${i}`);
  const lines = [
    'kind: Stack',
    `name: ${name}`,
    'project: bench-project',
    'region: us-central1',
    'zone: us-central1-a',
    'resources:',
    '  Network:',
    '    net: {}',
    '  Firewall:',
    `    tf-port: { network: { ref: net }, targetTags: [${name}-workers] }`,
    '  GpuVms:',
    `    workers: { names: [${names.join(', ')}], machineType: a2-highgpu-1g, spot: true, network: { ref: net } }`,
  ];
  if (buckets) {
    lines.push(
      '  Bucket:',
      '    data: { forceDestroy: true }',
      '    runs: { forceDestroy: true }',
      '  BucketIamBinding:',
      '    readers: { bucket: { ref: data }, role: roles/storage.objectViewer, members: ["group:ml@example.com"] }',
    );
  }
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function options(file: string, parallelism = 32) {
  return {
    file,
    cwd: work,
    env: { ...process.env, ...cloud.env },
    endpoints: { storage: cloud.endpoints.storage! },
    state: join(work, `${file.split('/').at(-1)}.state.json`),
    parallelism,
  };
}

/** Runs `step`, returning its seconds and the API calls it made (Compute and Storage). */
async function measured(step: () => Promise<unknown>) {
  compute.calls.clear();
  storageCalls = 0;
  const started = performance.now();
  await step();
  const seconds = (performance.now() - started) / 1000;
  const computeCalls = [...compute.calls.values()].reduce((sum, n) => sum + n, 0);
  const reads = [...compute.calls.entries()]
    .filter(([key]) => key.startsWith('GET'))
    .reduce((s, [, n]) => s + n, 0);
  return { seconds, computeCalls, computeReads: reads, storageCalls };
}

try {
  const big = writeStack('fifty', 45, true);
  const planned = await planStack(options(big));
  const resources = planned.loaded.resources.length;
  const rows = [['STEP', 'RESOURCES', 'SECONDS', 'COMPUTE CALLS', 'OF THEM READS', 'STORAGE CALLS']];
  const planBefore = await measured(() => planStack(options(big)));
  const deploy = await measured(() => deployStack(options(big)));
  const planAfter = await measured(() => planStack(options(big)));
  for (const [step, m] of [
    ['plan (nothing exists)', planBefore],
    ['deploy', deploy],
    ['plan (all deployed)', planAfter],
  ] as const) {
    rows.push([
      step,
      String(resources),
      m.seconds.toFixed(2),
      String(m.computeCalls),
      String(m.computeReads),
      String(m.storageCalls),
    ]);
  }
  console.log(table(rows));
  console.log(
    `(reads by kind after the deploy: ${[...compute.calls.entries()].map(([k, n]) => `${k} ×${n}`).join(', ')})`,
  );

  compute.capacity.operationMs = 2000;
  const sequential = 20 * 2;
  const slowRows = [['DEPLOY', 'PARALLELISM', 'OPERATION', 'SECONDS', 'ONE AT A TIME', 'GOAL']];
  for (const parallelism of [8, 16, 32]) {
    const twenty = writeStack(`twenty-${parallelism}`, 20, false);
    const slow = await measured(() => deployStack(options(twenty, parallelism)));
    slowRows.push([
      '20 VMs',
      parallelism === 32 ? '32 (default)' : String(parallelism),
      '2 s each',
      slow.seconds.toFixed(2),
      `${sequential} s`,
      '< 6 s',
    ]);
  }
  console.log('');
  console.log(table(slowRows));
  console.log(`(2 cores, load average ${loadavg()[0]!.toFixed(1)})`);
} finally {
  await cloud.close();
  rmSync(work, { recursive: true, force: true });
}
