/**
 * The promises every resource driver makes (src/infra/types.ts), checked
 * once per driver from one table, each against its fake with the real
 * client. A new driver adds its row here first.
 */

import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StratoError } from '../../../src/errors.ts';
import { ArtifactRepository } from '../../../src/infra/artifact-registry/artifact-repository.ts';
import { desiredResources, Stack } from '../../../src/infra/construct.ts';
import { Bucket } from '../../../src/infra/gcs/bucket.ts';
import { BucketIamBinding } from '../../../src/infra/gcs/bucket-iam-binding.ts';
import { ServiceAccount } from '../../../src/infra/iam/service-account.ts';
import { DriverRegistry } from '../../../src/infra/registry.ts';
import type {
  DesiredResource,
  DriverContext,
  RecordedResource,
  ResourceDriver,
} from '../../../src/infra/types.ts';
import {
  type FakeArtifactRegistry,
  startFakeArtifactRegistry,
} from '../../../src/testing/fake-artifact-registry/index.ts';
import { type FakeGcs, startFakeGcs } from '../../../src/testing/fake-gcs/index.ts';
import { type FakeIam, startFakeIam } from '../../../src/testing/fake-iam/index.ts';

interface ContractRow {
  kind: string;
  /** The resource under test, and what must exist before it (created by the test first). */
  resources(stackName: string): { prerequisites: DesiredResource[]; subject: DesiredResource };
  /** Makes a resource with the subject's cloud name that Strato did not create (no stack label). */
  makeForeign(subject: DesiredResource): Promise<void>;
}

let gcs: FakeGcs;
let iam: FakeIam;
let artifacts: FakeArtifactRegistry;
let registry: DriverRegistry;
let storage: Storage;

function bucketStack(name: string) {
  const stack = new Stack(name, { project: 'proj', region: 'us-central1' });
  const data = new Bucket(stack, 'data', { labels: { team: 'ml' } });
  new BucketIamBinding(stack, 'readers', {
    bucket: data,
    role: 'roles/storage.objectViewer',
    members: ['group:a@example.com'],
  });
  return desiredResources(stack);
}

function accountStack(name: string) {
  const stack = new Stack(name, { project: 'proj' });
  new ServiceAccount(stack, 'trainer', { roles: ['roles/logging.logWriter'] });
  return desiredResources(stack);
}

function repositoryStack(name: string) {
  const stack = new Stack(name, { project: 'proj', region: 'us-central1' });
  new ArtifactRepository(stack, 'images', { description: 'trainer images' });
  return desiredResources(stack);
}

const ROWS: ContractRow[] = [
  {
    kind: 'artifactregistry.repository',
    resources: (stack) => ({ prerequisites: [], subject: repositoryStack(stack)[0]! }),
    makeForeign: async (subject) => {
      const response = await fetch(
        `${artifacts.endpoint}/v1/projects/proj/locations/us-central1/repositories?repositoryId=${subject.props.repositoryId}`,
        { method: 'POST', body: JSON.stringify({ format: 'DOCKER' }) },
      );
      expect(response.status).toBe(200);
    },
  },
  {
    kind: 'iam.service-account',
    resources: (stack) => ({ prerequisites: [], subject: accountStack(stack)[0]! }),
    makeForeign: async (subject) => {
      iam.accounts.create('proj', subject.props.accountId as string, { displayName: 'made by hand' });
    },
  },
  {
    kind: 'iam.project-role-binding',
    resources: (stack) => {
      const [account, binding] = accountStack(stack);
      return { prerequisites: [account!], subject: binding! };
    },
    makeForeign: async (subject) => {
      // An account of the same email made by hand, holding the role already.
      const member = subject.props.member as string;
      iam.accounts.create('proj', member.replace(/^serviceAccount:/, '').split('@')[0]!, {});
      const policy = iam.policies.get('proj');
      iam.policies.set('proj', {
        ...policy,
        bindings: [...policy.bindings, { role: subject.props.role as string, members: [member] }],
      });
    },
  },
  {
    kind: 'gcs.bucket',
    resources: (stack) => ({ prerequisites: [], subject: bucketStack(stack)[0]! }),
    makeForeign: async (subject) => {
      await storage.createBucket(subject.props.name as string);
    },
  },
  {
    kind: 'gcs.bucket-iam-binding',
    resources: (stack) => {
      const [bucket, binding] = bucketStack(stack);
      return { prerequisites: [bucket!], subject: binding! };
    },
    makeForeign: async (subject) => {
      // A bucket without the stack label, holding the role already.
      const name = subject.props.bucketName as string;
      await storage.createBucket(name);
      const [policy] = await storage.bucket(name).iam.getPolicy();
      await storage.bucket(name).iam.setPolicy({
        ...policy,
        bindings: [
          ...(policy.bindings ?? []),
          { role: subject.props.role as string, members: ['group:other@example.com'] },
        ],
      });
    },
  },
];

beforeAll(async () => {
  gcs = await startFakeGcs();
  iam = await startFakeIam();
  artifacts = await startFakeArtifactRegistry();
  registry = new DriverRegistry({
    env: { STORAGE_EMULATOR_HOST: gcs.endpoint },
    endpoints: {
      storage: gcs.endpoint,
      iam: iam.endpoint,
      resourcemanager: iam.endpoint,
      artifactregistry: artifacts.endpoint,
    },
  });
  storage = new Storage({ apiEndpoint: gcs.endpoint, projectId: 'proj' });
});
afterAll(async () => {
  await gcs.close();
  await iam.close();
  await artifacts.close();
});

let stackCount = 0;

function contextOf(stack: string, outputs: Map<string, Record<string, unknown>>): DriverContext {
  return { stack, project: 'proj', outputsOf: (id) => outputs.get(id) ?? {} };
}

async function prepared(row: ContractRow) {
  const stack = `contract-${++stackCount}`;
  const { prerequisites, subject } = row.resources(stack);
  const outputs = new Map<string, Record<string, unknown>>();
  const context = contextOf(stack, outputs);
  for (const resource of prerequisites) {
    const driver = await registry.get(resource.kind);
    outputs.set(resource.id, (await driver.create(resource, context)).outputs);
  }
  const driver: ResourceDriver = await registry.get(row.kind);
  return { stack, subject, context, driver };
}

function recorded(
  subject: DesiredResource,
  driver: ResourceDriver,
  context: DriverContext,
): RecordedResource {
  return {
    id: subject.id,
    kind: subject.kind,
    props: subject.props,
    ref: driver.refOf(subject, context),
    outputs: {},
    dependsOn: subject.dependsOn,
  };
}

describe.each(ROWS)('the $kind driver', (row) => {
  it('names the resource deterministically, and reads it as absent before it exists', async () => {
    const { stack, subject, context, driver } = await prepared(row);
    expect(driver.kind).toBe(row.kind);
    expect(driver.cloudName(subject, stack)).toBe(driver.cloudName(subject, stack));
    const ref = driver.refOf(subject, context);
    expect(ref.name).toBe(driver.cloudName(subject, stack));
    expect((await driver.readMany([ref], context)).has(ref.name)).toBe(false);
  });

  it('creates idempotently: a second create returns the same resource, and readMany finds it with the stack label and no diff', async () => {
    const { stack, subject, context, driver } = await prepared(row);
    const first = await driver.create(subject, context);
    const second = await driver.create(subject, context);
    expect(second.ref).toEqual(first.ref);
    const actual = (await driver.readMany([first.ref], context)).get(first.ref.name);
    expect(actual?.stackLabel).toBe(stack);
    expect(driver.diff(subject.props, { ...subject.props, ...actual!.props })).toEqual([]);
  });

  it('never adopts a resource it did not create: create throws E_CONFLICT naming strato infra import', async () => {
    const stack = `contract-${++stackCount}`;
    const { subject } = row.resources(stack);
    await row.makeForeign(subject);
    const driver = await registry.get(row.kind);
    const error = await driver.create(subject, contextOf(stack, new Map())).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StratoError);
    expect((error as StratoError).code).toBe('E_CONFLICT');
    expect((error as StratoError).hint).toContain(`strato infra import ${subject.id}`);
  });

  it('deletes, and deleting what is already gone succeeds', async () => {
    const { subject, context, driver } = await prepared(row);
    await driver.create(subject, context);
    const record = recorded(subject, driver, context);
    await driver.delete(record, context);
    expect((await driver.readMany([record.ref], context)).has(record.ref.name)).toBe(false);
    await driver.delete(record, context);
  });
});
