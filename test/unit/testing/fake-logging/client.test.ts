/**
 * The fake Cloud Logging driven by the stock `@google-cloud/logging` client
 * (gRPC): entries written with Log#write come back from Logging#getEntries,
 * filtered, ordered and paged as the service does it.
 */

import { Logging } from '@google-cloud/logging';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeLogging, startFakeLogging } from '../../../../src/testing/fake-logging/index.ts';

let fake: FakeLogging;
let logging: Logging;

beforeAll(async () => {
  fake = await startFakeLogging();
  const [host, port] = fake.endpoint.split(':');
  logging = new Logging({
    projectId: 'my-project',
    apiEndpoint: host,
    port: Number(port),
    sslCreds: grpc.credentials.createInsecure(),
    // With explicit channel credentials no Google credentials are used; naming the universe keeps
    // the auth library from asking the GCE metadata server (not loopback) for one.
    universeDomain: 'googleapis.com',
  } as ConstructorParameters<typeof Logging>[0]);
  // The client's own first entry names the resource it runs on; said here, it does not go asking the
  // GCE metadata server (which is not loopback) to find out.
  logging.detectedResource = { type: 'global', labels: {} };
  const resource = {
    type: 'ml_job',
    labels: { job_id: '42', task_name: 'workerpool0-0', project_id: 'my-project' },
  };
  const log = logging.log('workerpool0-0');
  await log.write([
    log.entry({ resource, timestamp: new Date('2026-01-01T00:00:02Z'), severity: 'ERROR' }, 'second'),
    log.entry({ resource, timestamp: new Date('2026-01-01T00:00:01Z'), severity: 'INFO' }, 'first'),
    log.entry(
      {
        resource: { ...resource, labels: { ...resource.labels, task_name: 'workerpool1-0' } },
        timestamp: new Date('2026-01-01T00:00:03Z'),
      },
      { message: 'third', step: 3 },
    ),
  ]);
  await logging
    .log('other')
    .write(logging.log('other').entry({ resource: { type: 'global', labels: {} } }, 'elsewhere'));
});

afterAll(async () => {
  await fake.close();
});

describe('the fake Cloud Logging under the stock Node client', () => {
  it('returns the entries of a filter in time order with their payloads', async () => {
    const [entries] = await logging.getEntries({
      filter: 'resource.type="ml_job" AND resource.labels.job_id="42" AND timestamp>="2026-01-01T00:00:00Z"',
      orderBy: 'timestamp asc',
    });
    expect(
      entries.map((e) => (typeof e.data === 'string' ? e.data : (e.data as { message: string }).message)),
    ).toEqual(['first', 'second', 'third']);
    expect(entries[2]!.data).toEqual({ message: 'third', step: 3 });
    expect(entries[0]!.metadata.resource?.labels).toMatchObject({ task_name: 'workerpool0-0' });
  });

  it('filters on a replica, severity, insert ids and OR groups', async () => {
    const texts = async (filter: string) =>
      (
        await logging.getEntries({
          filter: `${filter} AND timestamp>="2026-01-01T00:00:00Z"`,
          orderBy: 'timestamp asc',
        })
      )[0].map((e) => (typeof e.data === 'string' ? e.data : 'json'));
    expect(await texts('resource.labels.task_name="workerpool0-0"')).toEqual(['first', 'second']);
    expect(await texts('severity>=WARNING')).toEqual(['second']);
    expect(await texts('(resource.labels.task_name="workerpool1-0" OR textPayload:"FIRST")')).toEqual([
      'first',
      'json',
    ]);
    // The client's own first write (its instrumentation entry) is a global one too: ask for one log.
    expect(await texts('NOT resource.type="ml_job" logName="projects/my-project/logs/other"')).toEqual([
      'elsewhere',
    ]);
  });

  it('orders newest first and pages', async () => {
    const [entries] = await logging.getEntries({
      filter: 'resource.type="ml_job" AND timestamp>="2026-01-01T00:00:00Z"',
      orderBy: 'timestamp desc',
      pageSize: 2,
      autoPaginate: false,
    });
    expect(entries).toHaveLength(2);
    expect(entries[0]!.data).toEqual({ message: 'third', step: 3 });
  });

  it('refuses a filter it cannot parse, and a write with no log name, as INVALID_ARGUMENT', async () => {
    await expect(logging.getEntries({ filter: 'timestamp>="yesterday"' })).rejects.toMatchObject({ code: 3 });
    await expect(logging.getEntries({ filter: '(resource.type="ml_job"' })).rejects.toMatchObject({
      code: 3,
    });
    expect(() => fake.service.write({ entries: [{ textPayload: 'x' }] })).toThrow(/log name/);
  });
});
