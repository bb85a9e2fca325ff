/**
 * Credentials on the lean transport come from @google-cloud/storage's own
 * auth (google-auth-library). Here a Workload Identity Federation credential
 * file whose token endpoint is on loopback: the real exchange (subject token →
 * STS → access token → Bearer header) runs without leaving the machine.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveGcsEndpoint } from '../../../src/storage/gcs/connect.ts';
import { GcsObjectStore } from '../../../src/storage/gcs/store.ts';

let tokenServer: Server;
let storageServer: Server;
let work: string;
let keyFile: string;
const seen: { token: number; storage: IncomingHttpHeaders[] } = { token: 0, storage: [] };

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

beforeAll(async () => {
  tokenServer = createServer((req, res) => {
    seen.token++;
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        access_token: 'loopback-token',
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
        expires_in: 3600,
      }),
    );
  });
  storageServer = createServer((req, res) => {
    seen.storage.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ name: 'authed-bucket', location: 'US' }));
  });
  const tokenUri = await listen(tokenServer);
  await listen(storageServer);
  work = mkdtempSync(join(tmpdir(), 'strato-gcs-auth-'));
  writeFileSync(join(work, 'subject-token'), 'a-subject-token');
  keyFile = join(work, 'credentials.json');
  writeFileSync(
    keyFile,
    JSON.stringify({
      type: 'external_account',
      audience: '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/pool/providers/local',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: `${tokenUri}/token`,
      credential_source: { file: join(work, 'subject-token') },
    }),
  );
});
afterAll(async () => {
  await close(tokenServer);
  await close(storageServer);
  rmSync(work, { recursive: true, force: true });
});

describe('gs:// credentials', () => {
  it('GIVEN an emulator endpoint THEN sends no credentials', async () => {
    const endpoint = `http://127.0.0.1:${(storageServer.address() as AddressInfo).port}`;
    const store = new GcsObjectStore('authed-bucket', { apiEndpoint: endpoint, keyFilename: keyFile });
    await store.findBucket();
    await store.close();
    expect(seen.storage.at(-1)?.authorization).toBeUndefined();
  });

  it('GIVEN credentials for a custom endpoint THEN every request carries the client library token, fetched once', async () => {
    const endpoint = `http://127.0.0.1:${(storageServer.address() as AddressInfo).port}`;
    const store = new GcsObjectStore('authed-bucket', {
      apiEndpoint: endpoint,
      keyFilename: keyFile,
      useAuthWithCustomEndpoint: true,
    });
    expect(await store.findBucket()).toMatchObject({ name: 'authed-bucket' });
    await store.findBucket();
    await store.close();
    expect(seen.storage.at(-1)?.authorization).toBe('Bearer loopback-token');
    expect(seen.storage.at(-2)?.authorization).toBe('Bearer loopback-token');
    expect(seen.token).toBe(1);
  });

  it('resolves endpoints as the client library does', () => {
    expect(resolveGcsEndpoint({ env: {} })).toEqual({
      endpoint: 'https://storage.googleapis.com',
      custom: false,
    });
    expect(resolveGcsEndpoint({ env: { STORAGE_EMULATOR_HOST: 'localhost:4443' } })).toEqual({
      endpoint: 'https://localhost:4443',
      custom: true,
    });
    expect(resolveGcsEndpoint({ env: { STORAGE_EMULATOR_HOST: 'http://h:1/storage/v1/' } }).endpoint).toBe(
      'http://h:1',
    );
    expect(
      resolveGcsEndpoint({ apiEndpoint: 'https://storage.us-central1.rep.googleapis.com', env: {} }),
    ).toEqual({
      endpoint: 'https://storage.us-central1.rep.googleapis.com',
      custom: false,
    });
  });
});
