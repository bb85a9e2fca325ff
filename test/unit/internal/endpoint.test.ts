import { describe, expect, it } from 'vitest';
import { parseEndpoint } from '../../../src/internal/endpoint.ts';
import { resolveGcsEndpoint } from '../../../src/storage/gcs/connect.ts';

describe('parseEndpoint', () => {
  it('reads http:// as plaintext and https:// or a bare host as TLS', () => {
    expect(parseEndpoint('http://127.0.0.1:8085', 'X')).toEqual({
      tls: false,
      host: '127.0.0.1',
      port: 8085,
      url: 'http://127.0.0.1:8085',
    });
    expect(parseEndpoint('europe-west4-aiplatform.googleapis.com', 'X')).toEqual({
      tls: true,
      host: 'europe-west4-aiplatform.googleapis.com',
      port: 443,
      url: 'https://europe-west4-aiplatform.googleapis.com',
    });
    expect(parseEndpoint('localhost:9023/', 'X')).toMatchObject({ tls: true, host: 'localhost', port: 9023 });
    expect(parseEndpoint('http://[::1]:8080', 'X')).toMatchObject({ tls: false, host: '::1', port: 8080 });
  });

  it('refuses another scheme, a path or credentials with E_USAGE naming where the value came from', () => {
    for (const bad of [
      'ftp://x:1',
      'http://h:1/some/path',
      'http://user:pw@h:1',
      'http://h:99999',
      'http://',
    ]) {
      expect(() => parseEndpoint(bad, 'STRATO_VERTEX_ENDPOINT')).toThrow(
        expect.objectContaining({
          code: 'E_USAGE',
          message: expect.stringContaining(`STRATO_VERTEX_ENDPOINT="${bad}"`),
          hint: expect.stringContaining('http://127.0.0.1:PORT'),
        }),
      );
    }
  });

  it('serves Cloud Storage too: STORAGE_EMULATOR_HOST with the JSON API path, or a bad one named in the error', () => {
    expect(
      resolveGcsEndpoint({ env: { STORAGE_EMULATOR_HOST: 'http://127.0.0.1:4443/storage/v1/' } }),
    ).toEqual({
      endpoint: 'http://127.0.0.1:4443',
      custom: true,
    });
    expect(resolveGcsEndpoint({ apiEndpoint: 'https://storage.us-east1.rep.googleapis.com' })).toEqual({
      endpoint: 'https://storage.us-east1.rep.googleapis.com',
      custom: false,
    });
    expect(() => resolveGcsEndpoint({ env: { STORAGE_EMULATOR_HOST: 'gs://bucket' } })).toThrow(
      expect.objectContaining({
        code: 'E_USAGE',
        message: expect.stringContaining('STORAGE_EMULATOR_HOST='),
      }),
    );
  });
});
