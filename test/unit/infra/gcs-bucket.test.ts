/**
 * The gcs.bucket and gcs.bucket-iam-binding drivers through the engine,
 * with the real @google-cloud/storage client against the fake Cloud Storage.
 */

import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StratoError } from '../../../src/errors.ts';
import {
  deployStack,
  destroyStack,
  type InfraOptions,
  importResource,
  planStack,
} from '../../../src/infra/engine.ts';
import { type FakeGcs, startFakeGcs } from '../../../src/testing/fake-gcs/index.ts';
import { STRATO_SOURCES, stackFolder } from '../../support/infra.ts';

const BUCKET = 'proj-gcs-test-data';

function stackSource(bucketProps: string): string {
  return [
    `import { Bucket, BucketIamBinding, Stack } from ${JSON.stringify(STRATO_SOURCES)};`,
    "const stack = new Stack('gcs-test', { project: 'proj', region: 'us-central1' });",
    `const data = new Bucket(stack, 'data', ${bucketProps});`,
    "new BucketIamBinding(stack, 'readers', { bucket: data, role: 'roles/storage.objectViewer', members: ['group:ml@example.com'] });",
    'export default stack;',
  ].join('\n');
}

async function rejection(promise: Promise<unknown>): Promise<StratoError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StratoError);
  return error as StratoError;
}

describe('buckets through the engine, against the fake Cloud Storage', () => {
  let gcs: FakeGcs;
  let storage: Storage;
  const folder = stackFolder();
  let options: InfraOptions;
  let stackCount = 0;
  let version = 0;
  /** Writes the stack with these bucket props to a new file (a loaded module is cached by its path). */
  const useStack = (bucketProps: string) => {
    options.file = `stack${stackCount}-v${++version}.ts`;
    folder.write(options.file, stackSource(bucketProps));
  };

  beforeAll(async () => {
    gcs = await startFakeGcs();
    storage = new Storage({ apiEndpoint: gcs.endpoint, projectId: 'proj' });
  });
  afterAll(async () => {
    folder.remove();
    await gcs.close();
  });
  beforeEach(() => {
    for (const name of [...gcs.state.buckets.keys()]) gcs.state.buckets.delete(name);
    stackCount++;
    options = {
      file: `stack${stackCount}.ts`,
      cwd: folder.dir,
      state: `state${stackCount}.json`,
      env: { STORAGE_EMULATOR_HOST: gcs.endpoint },
      endpoints: { storage: gcs.endpoint },
    };
  });

  it('deploys a private bucket with its settings and binding; a second plan has no changes', async () => {
    folder.write(
      options.file!,
      stackSource(
        "{ versioning: true, lifecycle: [{ prefix: 'checkpoints/', deleteAfterDays: 7 }], labels: { team: 'ml' } }",
      ),
    );
    const { plan } = await planStack(options);
    expect(plan.actions.map((a) => [a.id, a.action])).toEqual([
      ['data', 'create'],
      ['readers', 'create'],
    ]);
    const deployed = await deployStack(options);
    expect(deployed.result?.done.sort()).toEqual(['data', 'readers']);

    const [metadata] = await storage.bucket(BUCKET).getMetadata();
    expect(metadata.iamConfiguration?.publicAccessPrevention).toBe('enforced');
    expect(metadata.iamConfiguration?.uniformBucketLevelAccess?.enabled).toBe(true);
    expect(metadata.versioning?.enabled).toBe(true);
    expect(metadata.lifecycle?.rule).toEqual([
      { action: { type: 'Delete' }, condition: { age: 7, matchesPrefix: ['checkpoints/'] } },
    ]);
    expect(metadata.labels).toEqual({ team: 'ml', 'strato-stack': 'gcs-test' });
    const [policy] = await storage.bucket(BUCKET).iam.getPolicy();
    expect(policy.bindings).toContainEqual({
      role: 'roles/storage.objectViewer',
      members: ['group:ml@example.com'],
    });
    expect(deployed.state.resources.find((r) => r.id === 'data')?.outputs).toMatchObject({
      uri: `gs://${BUCKET}`,
    });

    const again = await planStack(options);
    expect(again.plan.hasChanges).toBe(false);
    expect(again.plan.drift).toEqual([]);
  });

  it('shows drift made outside Strato (settings changed, binding removed) and deploy puts it back', async () => {
    useStack('{ versioning: true }');
    await deployStack(options);
    await storage
      .bucket(BUCKET)
      .setMetadata({ versioning: { enabled: false }, labels: { owner: 'someone' } });
    const [policy] = await storage.bucket(BUCKET).iam.getPolicy();
    await storage.bucket(BUCKET).iam.setPolicy({
      ...policy,
      bindings: (policy.bindings ?? []).filter((b) => b.role !== 'roles/storage.objectViewer'),
    });

    const { plan } = await planStack(options);
    expect(plan.drift).toEqual([
      {
        id: 'data',
        kind: 'gcs.bucket',
        type: 'changed',
        changes: [
          { path: 'labels.owner', from: undefined, to: 'someone', forcesReplace: false },
          { path: 'versioning', from: true, to: false, forcesReplace: false },
        ],
      },
      { id: 'readers', kind: 'gcs.bucket-iam-binding', type: 'deleted', changes: [] },
    ]);
    expect(plan.actions.map((a) => [a.id, a.action])).toEqual([
      ['data', 'update'],
      ['readers', 'create'],
    ]);
    await deployStack(options);
    const [metadata] = await storage.bucket(BUCKET).getMetadata();
    expect(metadata.versioning?.enabled).toBe(true);
    expect(metadata.labels?.owner).toBeUndefined();
    expect((await planStack(options)).plan.hasChanges).toBe(false);
  });

  it('plans a replace when the location changes, and a re-create when the bucket was deleted outside', async () => {
    useStack('{}');
    await deployStack(options);
    useStack("{ location: 'europe-west4' }");
    const moved = await planStack(options);
    expect(moved.plan.actions.find((a) => a.id === 'data')).toMatchObject({
      action: 'replace',
      changes: [{ path: 'location', from: 'US-CENTRAL1', to: 'EUROPE-WEST4', forcesReplace: true }],
    });
    useStack('{}');
    await storage.bucket(BUCKET).delete();
    const { plan } = await planStack(options);
    expect(plan.drift).toContainEqual({ id: 'data', kind: 'gcs.bucket', type: 'deleted', changes: [] });
    expect(plan.actions.find((a) => a.id === 'data')).toMatchObject({
      action: 'create',
      note: 'deleted outside Strato',
    });
  });

  it('never adopts a bucket it did not create: reported, deploy refused, `import` adopts it', async () => {
    useStack('{}');
    await storage.createBucket(BUCKET, { location: 'US-CENTRAL1' });
    const { plan } = await planStack(options);
    expect(plan.unmanaged.map((u) => [u.id, u.ref.name])).toEqual([['data', BUCKET]]);
    const refused = await rejection(deployStack(options));
    expect(refused.code).toBe('E_CONFLICT');
    expect(refused.hint).toContain('strato infra import data');
    expect(gcs.state.buckets.get(BUCKET)?.labels).toBeUndefined();

    const imported = await importResource({ ...options, id: 'data' });
    expect(imported.state.resources.map((r) => r.id)).toEqual(['data']);
    // Labelled at import, not at the next update.
    expect(gcs.state.buckets.get(BUCKET)?.labels).toEqual({ 'strato-stack': 'gcs-test' });
    const after = await planStack(options);
    expect(after.plan.unmanaged).toEqual([]);
    expect(after.plan.actions.find((a) => a.id === 'data')?.action).toBe('update');
  });

  it('refuses to destroy a bucket holding objects unless it says forceDestroy, and keeps it in state', async () => {
    useStack('{}');
    await deployStack(options);
    await storage.bucket(BUCKET).file('data/train.tfrecord').save('x');
    const refused = await rejection(destroyStack(options));
    expect(refused.code).toBe('E_CONFLICT');
    expect(refused.message).toContain(`gs://${BUCKET} is not empty`);
    expect(gcs.state.buckets.has(BUCKET)).toBe(true);
    const { state } = await planStack(options);
    expect(state.resources.map((r) => r.id)).toEqual(['data']);

    useStack('{ forceDestroy: true }');
    const updated = await planStack(options);
    expect(updated.plan.actions.find((a) => a.id === 'data')?.changes).toEqual([
      { path: 'forceDestroy', from: false, to: true, forcesReplace: false },
    ]);
    await deployStack(options);
    await destroyStack(options);
    expect(gcs.state.buckets.has(BUCKET)).toBe(false);
    expect((await planStack(options)).state.resources).toEqual([]);
  });

  it('the fake refuses a public member on a bucket with public access prevention enforced', async () => {
    useStack('{}');
    await deployStack(options);
    const [policy] = await storage.bucket(BUCKET).iam.getPolicy();
    const error = await storage
      .bucket(BUCKET)
      .iam.setPolicy({
        ...policy,
        bindings: [...(policy.bindings ?? []), { role: 'roles/storage.objectViewer', members: ['allUsers'] }],
      })
      .then(
        () => undefined,
        (e: { code?: number }) => e,
      );
    expect(error?.code).toBe(412);
  });
});
