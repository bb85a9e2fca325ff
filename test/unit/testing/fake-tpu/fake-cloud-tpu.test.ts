/** The fake Cloud TPU inside `startFakeCloud` / `strato fake-cloud`: its endpoint, its env, and the driver reaching it by that env alone. */

import { describe, expect, it } from 'vitest';
import { runFakeCloud } from '../../../../src/cli/commands/fake-cloud.ts';
import { createTpuQueuedResourceDriver } from '../../../../src/infra/gcp/tpu-queued-resource.ts';
import { startFakeCloud } from '../../../../src/testing/index.ts';
import { driverContext, v4Slice } from '../../../support/fake-tpu.ts';

describe('the fake cloud with Cloud TPU', () => {
  it('serves Cloud TPU on loopback and exports STRATO_TPU_ENDPOINT and the gcloud override', async () => {
    const cloud = await startFakeCloud({
      storage: false,
      vertex: false,
      tpu: { timing: { acceptMs: 10, provisionMs: 20, operationMs: 5 } },
    });
    const driver = createTpuQueuedResourceDriver({ env: cloud.env, pollIntervalMs: 10 });
    try {
      expect(cloud.endpoints.tpu).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(cloud.env).toMatchObject({
        STRATO_TPU_ENDPOINT: cloud.endpoints.tpu!.replace(/\/$/, ''),
        CLOUDSDK_API_ENDPOINT_OVERRIDES_TPU: cloud.endpoints.tpu,
      });
      const actual = await driver.create(v4Slice('cloud'), driverContext('fc'));
      expect(actual.outputs.workerEndpoints).toHaveLength(4);
    } finally {
      await driver.close();
      await cloud.close();
    }
  });

  it('`strato fake-cloud` prints the TPU endpoint, its export line and the gcloud config line', async () => {
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: () => {} };
    await runFakeCloud({ storage: false, vertex: false }, io as never, false, Promise.resolve());
    const text = lines.join('\n');
    const endpoint = /tpu\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(text)?.[1];
    expect(endpoint).toBeDefined();
    expect(text).toContain(`export STRATO_TPU_ENDPOINT=${endpoint!.replace(/\/$/, '')}`);
    expect(text).toContain(`gcloud config set api_endpoint_overrides/tpu ${endpoint}`);
  });
});
