/**
 * Plan fixtures shared with the Python trainer helper: for every strategy and
 * role, the cluster plan exactly as the compiler produces it, written to
 * `trainer-images/tests/fixtures/plans/<case>.json`. The Python tests
 * (`cd trainer-images && python3 -m unittest discover`) run `strato_trainer`
 * against each replica's environment, so the two sides cannot drift.
 *
 * Refresh after a compiler change:  npx tsx test/support/generate-plan-fixtures.ts
 * `test/unit/strategies/plan-fixtures.test.ts` fails while the files are stale.
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { planJob } from '../../src/jobs/plan-job.ts';
import { parseJobSpec } from '../../src/spec/load.ts';
import type { JobSpecInput } from '../../src/spec/schema.ts';
import type { CompileContext } from '../../src/strategies/plan.ts';

export const PLAN_FIXTURES_DIR = fileURLToPath(
  new URL('../../trainer-images/tests/fixtures/plans/', import.meta.url),
);

export const REGENERATE_COMMAND = 'npx tsx test/support/generate-plan-fixtures.ts';

export interface PlanFixtureCase {
  /** File name without `.json`. */
  name: string;
  /** What the Python side should learn from it. */
  description: string;
  spec: JobSpecInput;
  /** Local runs need a fixed run dir and addresses so the files do not depend on this machine. */
  context?: Partial<Pick<CompileContext, 'runDir' | 'addressOf'>>;
}

const IMAGE_GPU = 'us-docker.pkg.dev/my-project/strato/tensorflow-gpu:2.16.1';
const IMAGE_TPU = 'us-docker.pkg.dev/my-project/strato/tensorflow-tpu:2.16.1';
const VERTEX = { name: 'vertex', project: 'my-project', region: 'us-central1' } as const;
const TPU_VM = { name: 'tpu-vm', project: 'my-project', zone: 'us-central2-b' } as const;
const MNIST_DATA = [{ source: 'gs://my-bucket/datasets/mnist', env: 'DATA_DIR' }];

function job(name: string, rest: Omit<JobSpecInput, 'apiVersion' | 'kind' | 'name'>): JobSpecInput {
  return { apiVersion: 'strato.dev/v1', kind: 'Job', name, ...rest };
}

/** A local process per replica: loopback addresses on fixed ports, like the local provider hands out. */
function loopbackAddresses(firstPort: number): CompileContext['addressOf'] {
  const roles = ['chief', 'worker', 'ps', 'evaluator', 'tpu-host'] as const;
  return (role, index) => `127.0.0.1:${firstPort + roles.indexOf(role) * 100 + index}`;
}

export const PLAN_FIXTURE_CASES: readonly PlanFixtureCase[] = [
  {
    name: 'one-device',
    description: 'One GPU on Vertex AI: a single worker, no TF_CONFIG.',
    spec: job('fx-one-device', {
      strategy: 'one-device',
      container: { image: IMAGE_GPU, args: ['--epochs=5'] },
      resources: {
        workers: { machineType: 'n1-standard-8', accelerator: { type: 'nvidia-tesla-t4', count: 1 } },
      },
      data: MNIST_DATA,
      output: 'gs://my-bucket/runs/fx-one-device',
      provider: VERTEX,
    }),
  },
  {
    name: 'mirrored',
    description: 'Four GPUs on one machine: a single worker, no TF_CONFIG, four replicas in sync.',
    spec: job('fx-mirrored', {
      strategy: 'mirrored',
      container: { image: IMAGE_GPU },
      resources: {
        workers: { machineType: 'n1-standard-16', accelerator: { type: 'nvidia-tesla-t4', count: 4 } },
      },
      output: 'gs://my-bucket/runs/fx-mirrored',
      provider: VERTEX,
    }),
  },
  {
    name: 'multi-worker-mirrored',
    description:
      'A chief, two workers and a side-car evaluator: the chief leads, the evaluator is outside the cluster.',
    spec: job('fx-mwm', {
      strategy: 'multi-worker-mirrored',
      container: { image: IMAGE_GPU },
      resources: {
        chief: { machineType: 'g2-standard-12' },
        workers: { replicas: 2, machineType: 'g2-standard-12' },
        evaluator: { machineType: 'n1-standard-4' },
      },
      data: MNIST_DATA,
      output: 'gs://my-bucket/runs/fx-mwm',
      provider: VERTEX,
    }),
  },
  {
    name: 'multi-worker-mirrored-local',
    description: 'Three local workers and no chief: worker 0 leads; the run dir is a plain path.',
    spec: job('fx-mwm-local', {
      strategy: 'multi-worker-mirrored',
      container: { command: ['python3', 'examples/mnist/train.py'], args: ['--epochs=1'] },
      resources: { workers: { replicas: 3 } },
      provider: { name: 'local' },
    }),
    context: { runDir: 'file:///tmp/strato-fixtures/runs/fx-mwm-local', addressOf: loopbackAddresses(23000) },
  },
  {
    name: 'parameter-server',
    description: 'Coordinator (chief), two workers, two parameter servers and an evaluator.',
    spec: job('fx-ps', {
      strategy: 'parameter-server',
      container: { image: IMAGE_GPU },
      resources: {
        chief: { machineType: 'n1-standard-4' },
        workers: {
          replicas: 2,
          machineType: 'n1-standard-8',
          accelerator: { type: 'nvidia-tesla-t4', count: 1 },
        },
        ps: { replicas: 2, machineType: 'n1-highmem-8' },
        evaluator: { machineType: 'n1-standard-4' },
      },
      output: 'gs://my-bucket/runs/fx-ps',
      provider: VERTEX,
    }),
  },
  {
    name: 'multi-worker-mirrored-mesh',
    description: 'DTensor on GPUs: two workers with four GPUs each are the clients of one 8-device mesh.',
    spec: job('fx-mwm-mesh', {
      strategy: 'multi-worker-mirrored',
      mesh: { batch: 8 },
      container: { image: IMAGE_GPU },
      resources: {
        workers: {
          replicas: 2,
          machineType: 'n1-standard-16',
          accelerator: { type: 'nvidia-tesla-t4', count: 4 },
        },
      },
      output: 'gs://my-bucket/runs/fx-mwm-mesh',
      provider: VERTEX,
    }),
  },
  {
    name: 'tpu-single-host',
    description: "One TPU v4 host with a PJRT runtime: TPUClusterResolver('local').",
    spec: job('fx-tpu-v4-8', {
      strategy: 'tpu',
      container: { image: IMAGE_TPU },
      resources: { workers: { tpu: { type: 'v4-8', runtimeVersion: 'tpu-vm-tf-2.16.1-pjrt' } } },
      output: 'gs://my-bucket/runs/fx-tpu-v4-8',
      provider: TPU_VM,
    }),
  },
  {
    name: 'tpu-pod',
    description:
      'A v4-32 slice (4 hosts) with a PJRT pod runtime: host 0 runs the program, TPU_NAME names the slice.',
    spec: job('fx-tpu-v4-32', {
      strategy: 'tpu',
      container: { image: IMAGE_TPU },
      resources: { workers: { tpu: { type: 'v4-32', runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt' } } },
      output: 'gs://my-bucket/runs/fx-tpu-v4-32',
      provider: TPU_VM,
    }),
  },
  {
    name: 'tpu-pod-se',
    description:
      'The same slice on the StreamExecutor runtime: host 0 must not load libtpu (TPU_LOAD_LIBRARY=0).',
    spec: job('fx-tpu-v4-32-se', {
      strategy: 'tpu',
      container: { image: IMAGE_TPU },
      resources: { workers: { tpu: { type: 'v4-32', runtimeVersion: 'tpu-vm-tf-2.16.1-pod-se' } } },
      output: 'gs://my-bucket/runs/fx-tpu-v4-32-se',
      provider: TPU_VM,
    }),
  },
  {
    name: 'tpu-mesh',
    description:
      'DTensor on a v5e slice (16 chips, 4 hosts): every host is a client of a 4 × 4 batch/model mesh.',
    spec: job('fx-tpu-mesh', {
      strategy: 'tpu',
      mesh: { batch: 4, model: 4 },
      container: { image: IMAGE_TPU },
      resources: { workers: { tpu: { type: 'v5litepod-16', runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt' } } },
      output: 'gs://my-bucket/runs/fx-tpu-mesh',
      provider: { name: 'tpu-vm', project: 'my-project', zone: 'us-west4-a' },
    }),
  },
];

/** File name → file text, exactly what belongs in PLAN_FIXTURES_DIR. */
export function renderPlanFixtures(
  cases: readonly PlanFixtureCase[] = PLAN_FIXTURE_CASES,
): Map<string, string> {
  const files = new Map<string, string>();
  for (const fixture of cases) {
    // A fixed baseDir keeps local data paths (if a case ever has one) independent of the cwd.
    const plan = planJob(parseJobSpec(fixture.spec, fixture.name), { baseDir: '/', ...fixture.context });
    const body = {
      case: fixture.name,
      description: fixture.description,
      generatedBy: REGENERATE_COMMAND,
      plan,
    };
    files.set(`${fixture.name}.json`, `${JSON.stringify(body, null, 2)}\n`);
  }
  return files;
}

/**
 * Rewrites the fixture folder: every case's file, and nothing else, formatted
 * the way `npm run lint` (Biome) wants JSON so the files stay lint-clean.
 */
export function writePlanFixtures(dir: string = PLAN_FIXTURES_DIR): string[] {
  const files = renderPlanFixtures();
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.json') && !files.has(name)) rmSync(join(dir, name));
  }
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  const biome = fileURLToPath(new URL('../../node_modules/.bin/biome', import.meta.url));
  execFileSync(biome, ['format', '--write', dir], { stdio: 'ignore' });
  return [...files.keys()];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const written = writePlanFixtures();
  console.log(`wrote ${written.length} plan fixtures to ${PLAN_FIXTURES_DIR}`);
}
