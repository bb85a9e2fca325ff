/**
 * A YAML stack with a new service account (two project roles and a bucket
 * binding) and an existing one (one role), deployed by Strato on the fake
 * cloud and checked with gcloud, an independent client: `gcloud iam
 * service-accounts list/describe` and `gcloud projects get-iam-policy`; a
 * role removed with gcloud shows as drift and the next deploy restores it;
 * destroy removes the roles, then the new account, and never the existing
 * one. Needs gcloud (test/README.md says how to install it or opt out).
 */

import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployStack, destroyStack, type InfraOptions, planStack } from '../../src/infra/engine.ts';
import { type FakeCloud, startFakeCloud } from '../../src/testing/index.ts';
import { stackFolder } from '../support/infra.ts';
import { requireTool } from '../support/tools.ts';

const run = promisify(execFile);
requireTool('gcloud');

const TRAINER = 'iam-demo-trainer@my-project.iam.gserviceaccount.com';
const RUNNER = 'ci-runner@my-project.iam.gserviceaccount.com';
const STACK = `kind: Stack
name: iam-demo
project: my-project
region: us-central1
resources:
  ServiceAccount:
    trainer: { displayName: Trainer VMs, roles: [roles/logging.logWriter, roles/tpu.viewer] }
  ExistingServiceAccount:
    runner: { email: ${RUNNER}, roles: [roles/monitoring.metricWriter] }
  Bucket:
    data: {}
  BucketIamBinding:
    data-access: { bucket: { ref: data }, role: roles/storage.objectUser, members: [{ ref: trainer }] }
`;

describe('service accounts and project roles, checked with gcloud', () => {
  let cloud: FakeCloud;
  let env: NodeJS.ProcessEnv;
  let options: InfraOptions;
  const folder = stackFolder();

  beforeAll(async () => {
    cloud = await startFakeCloud({ vertex: false, tpu: false, compute: false, logging: false });
    cloud.iam!.accounts.create('my-project', 'ci-runner', { displayName: 'CI' });
    mkdirSync(join(folder.dir, 'config'));
    env = {
      ...process.env,
      ...cloud.env,
      CLOUDSDK_CONFIG: join(folder.dir, 'config'),
      CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
      CLOUDSDK_CORE_PROJECT: 'my-project',
      CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
      CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    };
    options = {
      file: folder.write('iam-demo.yaml', STACK),
      cwd: folder.dir,
      state: join(folder.dir, 'iam-demo.state.json'),
      env,
      endpoints: {
        storage: cloud.endpoints.storage!,
        iam: cloud.endpoints.iam!,
        resourcemanager: cloud.endpoints.iam!,
      },
    };
  });
  afterAll(async () => {
    await cloud?.close();
    folder.remove();
  });

  const gcloud = async (...args: string[]) =>
    JSON.parse((await run('gcloud', [...args, '--format=json'], { env, timeout: 60_000 })).stdout || 'null');
  const rolesOf = async (email: string) => {
    const policy = (await gcloud('projects', 'get-iam-policy', 'my-project')) as {
      bindings: { role: string; members: string[] }[];
    };
    return policy.bindings
      .filter((b) => b.members.includes(`serviceAccount:${email}`))
      .map((b) => b.role)
      .sort();
  };

  it('deploys, shows a role removed with gcloud as drift, restores it, and destroys only what it made', async () => {
    const planned = (await planStack(options)).plan.actions.map((a) => `${a.action} ${a.id}`);
    expect(planned).toEqual(
      expect.arrayContaining([
        'create trainer',
        'create trainer/logging.logWriter',
        'create trainer/tpu.viewer',
        'create runner/monitoring.metricWriter',
        'create data-access',
      ]),
    );
    await deployStack(options);

    const listed = (await gcloud('iam', 'service-accounts', 'list')) as { email: string }[];
    expect(listed.map((a) => a.email).sort()).toEqual([RUNNER, TRAINER]);
    expect(await gcloud('iam', 'service-accounts', 'describe', TRAINER)).toMatchObject({
      email: TRAINER,
      displayName: 'Trainer VMs',
      description: '[strato-stack=iam-demo id=trainer]',
    });
    expect(await rolesOf(TRAINER)).toEqual(['roles/logging.logWriter', 'roles/tpu.viewer']);
    expect(await rolesOf(RUNNER)).toEqual(['roles/monitoring.metricWriter']);
    expect((await planStack(options)).plan.hasChanges).toBe(false);

    await gcloud(
      'projects',
      'remove-iam-policy-binding',
      'my-project',
      `--member=serviceAccount:${TRAINER}`,
      '--role=roles/tpu.viewer',
    );
    const { plan } = await planStack(options);
    expect(plan.drift).toEqual([
      { id: 'trainer/tpu.viewer', kind: 'iam.project-role-binding', type: 'deleted', changes: [] },
    ]);
    expect(plan.actions.filter((a) => a.action !== 'noop').map((a) => `${a.action} ${a.id}`)).toEqual([
      'create trainer/tpu.viewer',
    ]);
    await deployStack(options);
    expect(await rolesOf(TRAINER)).toEqual(['roles/logging.logWriter', 'roles/tpu.viewer']);

    await destroyStack(options);
    const left = (await gcloud('iam', 'service-accounts', 'list')) as { email: string }[];
    expect(left.map((a) => a.email)).toEqual([RUNNER]);
    const policy = (await gcloud('projects', 'get-iam-policy', 'my-project')) as {
      bindings: { role: string }[];
    };
    expect(policy.bindings.map((b) => b.role)).toEqual(['roles/owner']);
    // One gcloud process per check (1–2 s each, several times that on a loaded machine).
  }, 180_000);
});
