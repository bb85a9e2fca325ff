/**
 * `strato data push` into the training stack's bucket and `strato metrics`
 * from an s3:// run dir in it, on moto's S3 (the real S3 protocol, not the
 * project's own fake), reached through AWS_ENDPOINT_URL in the CLI's
 * environment; the `aws` CLI checks what landed.
 */

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { deployAwsStack } from '../../src/infra/aws/index.ts';
import { S3ObjectStore } from '../../src/storage/s3/store.ts';
import { simpleScalarRecord, tensorScalarRecord, versionRecord } from '../support/event-files.ts';
import { awsCli, type Moto, startMoto } from '../support/moto.ts';

let moto: Moto;
let bucket: string;
let work: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  moto = await startMoto();
  work = mkdtempSync(join(tmpdir(), 'strato-aws-data-'));
  env = { ...process.env, ...moto.env, STRATO_HOME: join(work, 'home') };
  const deployed = await deployAwsStack({
    app: join(import.meta.dirname, '../../infra/aws/app.ts'),
    context: { stackName: 'strato-data', region: 'us-east-1', instanceCount: 0 },
    env,
    stateDir: join(work, 'state'),
    validate: false,
    pollIntervalMs: 100,
  });
  bucket = deployed.outputs.BucketName!;
}, 120_000);
afterAll(async () => {
  await moto?.stop();
});

async function strato(...argv: string[]) {
  const io = bufferIo({ env, cwd: work });
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('data and runs in the stack bucket on moto', () => {
  it('pushes a dataset, and a second push skips everything', async () => {
    mkdirSync(join(work, 'data/images'), { recursive: true });
    writeFileSync(join(work, 'data/images/1.png'), 'png-1');
    writeFileSync(join(work, 'data/images/2.png'), 'png-22');
    writeFileSync(join(work, 'data/labels.csv'), 'a,1\nb,2\n');

    const first = await strato('data', 'push', join(work, 'data'), `s3://${bucket}/data/ds`, '--json');
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ files: 3, uploaded: 3, skipped: 0 });

    const listed = awsCli(moto, ['s3api', 'list-objects-v2', '--bucket', bucket, '--prefix', 'data/ds/']) as {
      Contents: { Key: string; Size: number }[];
    };
    expect(listed.Contents.map((o) => [o.Key, o.Size]).sort()).toEqual([
      ['data/ds/images/1.png', 5],
      ['data/ds/images/2.png', 6],
      ['data/ds/labels.csv', 8],
    ]);

    const second = await strato('data', 'push', join(work, 'data'), `s3://${bucket}/data/ds`, '--json');
    expect(second.code).toBe(0);
    expect(JSON.parse(second.out)).toMatchObject({ files: 3, uploaded: 0, skipped: 3 });
  });

  it('reads the metrics of an s3:// run dir', async () => {
    const store = new S3ObjectStore(bucket, { env });
    await store.write(
      'runs/job-1/logs/train/events.out.tfevents.1.a.1.0.v2',
      Buffer.concat([
        versionRecord(),
        tensorScalarRecord('epoch_loss', 0, 0.5),
        tensorScalarRecord('epoch_loss', 1, 0.25),
      ]),
    );
    await store.write(
      'runs/job-1/logs/validation/events.out.tfevents.1.a.1.1.v2',
      Buffer.concat([versionRecord(), simpleScalarRecord('epoch_loss', 0, 0.75)]),
    );
    const result = await strato('metrics', `s3://${bucket}/runs/job-1`, '--json');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const rows = result.out
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { run: string; tag: string; step: number; value: number; file: string },
      );
    expect(rows.map((r) => [r.run, r.tag, r.step, r.value])).toEqual([
      ['train', 'epoch_loss', 0, 0.5],
      ['train', 'epoch_loss', 1, 0.25],
      ['validation', 'epoch_loss', 0, 0.75],
    ]);
    expect(rows[0]?.file).toBe(`s3://${bucket}/runs/job-1/logs/train/events.out.tfevents.1.a.1.0.v2`);
  });
});
