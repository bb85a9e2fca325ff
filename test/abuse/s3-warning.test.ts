/**
 * The "also" item of the hardening issue: S3 calls printed the AWS SDK's
 * Node-version warning on every run. Silenced with the SDK's own switch,
 * for the moment the client is built only: the environment is left as it was.
 */

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/local.ts';

describe('an S3 call', () => {
  it('prints no AWS SDK Node-version warning and leaves the environment as it was', async () => {
    const script = `
      const { S3ObjectStore } = await import(${JSON.stringify(join(REPO_ROOT, 'src/storage/s3/store.ts'))});
      const store = new S3ObjectStore('bucket', {
        endpoint: 'http://127.0.0.1:1',
        region: 'us-east-1',
        credentials: { accessKeyId: 'k', secretAccessKey: 's' },
      });
      await store.stat('key').catch(() => {});
      console.log(JSON.stringify({ switch: process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ?? null }));
    `;
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: REPO_ROOT, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '' } },
    );
    expect(stderr).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript/);
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ switch: '' });
  }, 60_000);
});
