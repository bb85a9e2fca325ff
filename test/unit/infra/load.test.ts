import { afterAll, describe, expect, it } from 'vitest';
import { SpecError, StratoError } from '../../../src/errors.ts';
import { loadStackFile } from '../../../src/infra/load.ts';
import { STRATO_SOURCES, stackFolder } from '../../support/infra.ts';
import { REPO_ROOT } from '../../support/local.ts';

async function loadError(file: string, cwd: string): Promise<StratoError> {
  const error = await loadStackFile(file, cwd).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StratoError);
  return error as StratoError;
}

const imports = `import { Bucket, BucketIamBinding, Stack } from ${JSON.stringify(STRATO_SOURCES)};`;

describe('loading a stack', () => {
  const folder = stackFolder();
  afterAll(() => folder.remove());

  it('reads the example stack: resources flattened with ids, kinds, references and dependencies', async () => {
    const loaded = await loadStackFile('data-bucket', REPO_ROOT);
    expect(loaded.name).toBe('data-bucket');
    expect(loaded.resources.map((r) => [r.id, r.kind, r.dependsOn])).toEqual([
      ['data', 'gcs.bucket', []],
      ['trainers-read', 'gcs.bucket-iam-binding', ['data']],
    ]);
    expect(loaded.resources[0]?.props).toMatchObject({
      name: 'my-project-data-bucket-data',
      location: 'US-CENTRAL1',
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      versioning: true,
      lifecycle: [{ prefix: 'checkpoints/', deleteAfterDays: 14 }],
      labels: { team: 'ml' },
    });
    expect(loaded.resources[1]?.props).toMatchObject({
      bucket: { ref: 'data' },
      bucketName: 'my-project-data-bucket-data',
    });
  });

  it('takes a default export that is a Stack itself', async () => {
    folder.write(
      'direct.ts',
      `${imports}\nconst stack = new Stack('direct', { project: 'p' });\nnew Bucket(stack, 'b');\nexport default stack;\n`,
    );
    const loaded = await loadStackFile('direct.ts', folder.dir);
    expect(loaded.resources.map((r) => r.id)).toEqual(['b']);
  });

  it('reports a stack file that throws as one error with its line', async () => {
    folder.write(
      'throws.ts',
      `${imports}\n\nexport default function () {\n  throw new Error('no project configured');\n}\n`,
    );
    const error = await loadError('throws.ts', folder.dir);
    expect(error.code).toBe('E_SPEC_INVALID');
    expect(error.message).toContain('throws.ts (line 4');
    expect(error.message).toContain('no project configured');
    expect(error.message).not.toContain('\n    at ');
  });

  it('reports every bad prop of a construct at once, with paths from the resource id', async () => {
    folder.write(
      'bad.ts',
      `${imports}\nconst stack = new Stack('bad', { project: 'p' });\nnew Bucket(stack, 'data', { storageClass: 'COLD' as never, lifecycle: [{ deleteAfterDays: 0 }], colour: 'red' } as never);\nexport default stack;\n`,
    );
    const error = await loadError('bad.ts', folder.dir);
    expect(error).toBeInstanceOf(SpecError);
    const paths = (error as SpecError).issues.map((i) => i.path).sort();
    expect(paths).toEqual(['data.colour', 'data.lifecycle[0].deleteAfterDays', 'data.storageClass']);
    expect(error.message).toContain('bad.ts: 3 problems');
  });

  it('reads the YAML form: constructs by type and id, references by { ref }', async () => {
    folder.write(
      'yaml-stack.yaml',
      [
        'kind: Stack',
        'name: from-yaml',
        'project: p',
        'region: europe-west4',
        'resources:',
        '  BucketIamBinding:',
        '    readers: { bucket: { ref: data }, role: roles/storage.objectViewer, members: ["group:ml@example.com"] }',
        '  Bucket:',
        '    data: { forceDestroy: true }',
      ].join('\n'),
    );
    const loaded = await loadStackFile('yaml-stack.yaml', folder.dir);
    expect(loaded.resources.map((r) => [r.id, r.kind, r.dependsOn])).toEqual([
      ['data', 'gcs.bucket', []],
      ['readers', 'gcs.bucket-iam-binding', ['data']],
    ]);
    expect(loaded.resources[0]?.props).toMatchObject({ location: 'EUROPE-WEST4', forceDestroy: true });
  });

  it('lists every problem of a YAML stack at once: unknown type, bad props, a dangling reference', async () => {
    folder.write(
      'bad-yaml.yaml',
      [
        'kind: Stack',
        'name: bad-yaml',
        'project: p',
        'resources:',
        '  Buckett:',
        '    x: {}',
        '  Bucket:',
        '    data: { versioning: "yes" }',
        '  BucketIamBinding:',
        '    readers: { bucket: { ref: nowhere }, role: roles/storage.objectViewer, members: [nobody] }',
      ].join('\n'),
    );
    const error = (await loadError('bad-yaml.yaml', folder.dir)) as SpecError;
    expect(error).toBeInstanceOf(SpecError);
    const messages = error.issues.map((i) => `${i.path}: ${i.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'resources.Buckett: is not a construct type',
        'resources.Bucket.data.versioning: must be a boolean',
        'resources.BucketIamBinding.readers: refers to nowhere, which is not a resource of this stack',
      ]),
    );
    expect(error.issues.find((i) => i.path === 'resources.Buckett')?.fix).toBe('did you mean "Bucket"?');
  });

  it('refuses a stack name that cannot be a label value, and takes a YAML resource with no props', async () => {
    folder.write('upper.ts', `${imports}\nexport default new Stack('Data_Bucket', { project: 'p' });\n`);
    const error = await loadError('upper.ts', folder.dir);
    expect(error).toBeInstanceOf(SpecError);
    expect((error as SpecError).issues[0]).toMatchObject({ path: 'Stack', received: 'Data_Bucket' });
    folder.write('bare.yaml', 'kind: Stack\nname: bare\nproject: p\nresources:\n  Bucket:\n    data:\n');
    expect((await loadStackFile('bare.yaml', folder.dir)).resources.map((r) => r.id)).toEqual(['data']);
  });

  it('says which stack file it could not find', async () => {
    const error = await loadError('nope', folder.dir);
    expect(error.code).toBe('E_NOT_FOUND');
  });
});
