/**
 * Finding 14 of the hardening issue: a Vertex submit without credentials
 * (or with the scheme-less `vertex` value that `fake-cloud --json` printed,
 * which means TLS) gave "bug in Strato" and then an uncaught google-auth
 * stack; and the `--json` line's `"vertex":"127.0.0.1:PORT"` disagreed with
 * the `http://` export line.
 *
 * No request leaves loopback: the credentials file named does not exist, so
 * the auth library fails before any call.
 */

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFakeCloud } from '../../src/cli/commands/fake-cloud.ts';
import { bufferIo } from '../../src/cli/io.ts';
import { type FakeCloud, startFakeCloud } from '../../src/testing/fake-cloud.ts';
import { REPO_ROOT, tempDir } from '../support/local.ts';

const work = tempDir('strato-vertex-creds-');
let cloud: FakeCloud;
beforeAll(async () => {
  cloud = await startFakeCloud({ storage: { buckets: ['creds'] }, vertex: {} });
});
afterAll(async () => {
  await cloud?.close();
  work.remove();
});

describe('Vertex without credentials', () => {
  it('submit to a TLS endpoint with no usable credentials: exit 2, one message with the fix, no stack', async () => {
    const spec = join(work.path, 'vertex.json');
    writeFileSync(
      spec,
      JSON.stringify({
        apiVersion: 'strato.dev/v1',
        kind: 'Job',
        name: 'no-creds',
        strategy: 'one-device',
        container: { image: 'us-docker.pkg.dev/my-project/strato/trainer:1', command: ['true'] },
        resources: { workers: { machineType: 'n1-standard-4' } },
        output: 'gs://creds/runs/no-creds',
        provider: { name: 'vertex', project: 'my-project', region: 'us-central1' },
      }),
    );
    const scheme = cloud.endpoints.vertex!.replace(/^http:\/\//, '');
    const result = await promisify(execFile)(
      process.execPath,
      [join(REPO_ROOT, 'bin/strato.js'), 'submit', spec],
      {
        env: {
          ...process.env,
          ...cloud.env,
          STRATO_HOME: work.path,
          HOME: work.path,
          // The scheme-less value the --json line used to print: TLS, so credentials are needed.
          STRATO_VERTEX_ENDPOINT: scheme,
          GOOGLE_APPLICATION_CREDENTIALS: join(work.path, 'no-such-key.json'),
        },
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error: no Google credentials/);
    expect(result.stderr).toContain('gcloud auth application-default login');
    expect(result.stderr).not.toMatch(/bug in Strato|\n\s+at /);
  });

  it('fake-cloud --json prints the vertex endpoint with its scheme, as the export line does', async () => {
    const io = bufferIo();
    await runFakeCloud({ vertex: {} }, io, true, Promise.resolve());
    const [jsonLine, ...exports] = io.stdout.trim().split('\n');
    const endpoints = JSON.parse(jsonLine!) as Record<string, string>;
    expect(endpoints.vertex).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(exports).toContain(`export STRATO_VERTEX_ENDPOINT=${endpoints.vertex}`);
  });
});
