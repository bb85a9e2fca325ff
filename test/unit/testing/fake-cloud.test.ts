/** startFakeCloud composes the fakes: endpoints, the env for stock clients, one close. */

import { Storage } from '@google-cloud/storage';
import { describe, expect, it } from 'vitest';
import { startFakeCloud } from '../../../src/testing/index.ts';

describe('startFakeCloud', () => {
  it('starts Cloud Storage on loopback, with the env that points clients at it, and stops it', async () => {
    const cloud = await startFakeCloud({ storage: { buckets: ['composed'] }, vertex: false });
    try {
      expect(cloud.endpoints.storage).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(cloud.env).toMatchObject({
        STORAGE_EMULATOR_HOST: cloud.endpoints.storage,
        CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE: `${cloud.endpoints.storage}/`,
        CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
      });
      const storage = new Storage({ apiEndpoint: cloud.endpoints.storage, projectId: 'p' });
      await storage.bucket('composed').file('hello').save('hi', { resumable: false });
      expect(cloud.storage?.state.getObject('composed', 'hello').size).toBe(2);
    } finally {
      await cloud.close();
    }
    await expect(fetch(`${cloud.endpoints.storage}/storage/v1/b/composed`)).rejects.toThrow();
    await cloud.close(); // closing twice is quiet
  });

  it('starts Cloud Logging, gRPC for the client library and REST for gcloud, with their env', async () => {
    const cloud = await startFakeCloud({
      storage: false,
      vertex: false,
      tpu: false,
      compute: false,
      iam: false,
      artifactRegistry: false,
    });
    try {
      expect(cloud.env).toEqual({
        STRATO_LOGGING_ENDPOINT: cloud.endpoints.logging,
        CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING: cloud.endpoints.loggingRest,
      });
      const response = await fetch(`${cloud.endpoints.loggingRest}v2/entries:list`, {
        method: 'POST',
        body: JSON.stringify({ resourceNames: ['projects/p'] }),
      });
      expect(await response.json()).toEqual({ entries: [] });
    } finally {
      await cloud.close();
    }
  });

  it('leaves a service out when asked', async () => {
    const cloud = await startFakeCloud({
      storage: false,
      vertex: false,
      logging: false,
      tpu: false,
      compute: false,
      iam: false,
      artifactRegistry: false,
    });
    expect(cloud.endpoints).toEqual({});
    expect(cloud.storage).toBeUndefined();
    await cloud.close();
  });

  it('starts Compute Engine with the env for Strato (STRATO_COMPUTE_ENDPOINT) and for gcloud', async () => {
    const cloud = await startFakeCloud({ storage: false, vertex: false, tpu: false, logging: false });
    try {
      expect(cloud.env).toMatchObject({
        STRATO_COMPUTE_ENDPOINT: cloud.endpoints.compute,
        CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: `${cloud.endpoints.compute}/compute/v1/`,
      });
      const zones = await fetch(`${cloud.endpoints.computeRest}projects/p/zones`);
      expect(((await zones.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);
    } finally {
      await cloud.close();
    }
  });
});
