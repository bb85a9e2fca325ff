/**
 * The user data every `ec2` instance runs: clean under shellcheck (bash, down
 * to style notes), and in step with the provider (`instances.ts`): it reads
 * the tags the provider sets and the launch line it appends. What it does on
 * an instance is tested by booting moto's instances
 * (test/integration/ec2-jobs.test.ts).
 */

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  LAUNCH_LINE_PREFIX,
  TAG_ATTEMPT,
  TAG_JOB,
  TAG_PEER_PREFIX,
  TAG_REPLICA,
  userDataOf,
} from '../../../../src/providers/ec2/instances.ts';
import type { Ec2JobRecord } from '../../../../src/providers/ec2/record.ts';
import { requireTool } from '../../../support/tools.ts';

const shellcheck = requireTool('shellcheck');
const SCRIPT = fileURLToPath(new URL('../../../../src/providers/ec2/user-data.sh', import.meta.url));
const text = readFileSync(SCRIPT, 'utf8');

describe('user-data.sh', () => {
  it('is clean under shellcheck (its default checks, down to style)', async () => {
    const { stdout } = await promisify(execFile)(shellcheck, [
      '--shell=bash',
      '--severity=style',
      '--format=gcc',
      SCRIPT,
    ]).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }));
    expect(stdout).toBe('');
  });

  it('reads every tag the provider sets, the peers by their prefix, and the launch line', () => {
    for (const key of [TAG_JOB, TAG_ATTEMPT, TAG_REPLICA])
      expect(text, key).toMatch(new RegExp(`tag ${key}\\b`));
    expect(text).toContain(`"${TAG_PEER_PREFIX}$peer"`);
    expect(text).toContain(`s/^${LAUNCH_LINE_PREFIX}//p`);
    // IMDSv2: a token first, then every read carries it.
    expect(text).toMatch(
      /-X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: \d+' "\$IMDS\/latest\/api\/token"/,
    );
  });

  it('GIVEN a replica THEN its user data is the script with its launch on the last line, in 16 KB', () => {
    const record = {
      jobId: 'train-abc123',
      runDir: 's3://bucket/runs/train',
      image: 'img:1',
      args: [],
      replicas: [
        {
          name: 'worker-0',
          role: 'worker',
          index: 0,
          exitPolicy: 'must-succeed',
          runsProgram: true,
          env: { A: '1' },
        },
      ],
      hosts: { 'worker-0': 'worker-0.train-abc123.strato.invalid' },
    } as unknown as Ec2JobRecord;
    const data = userDataOf(text, record, 2, 'worker-0');
    expect(data.startsWith(text.trimEnd())).toBe(true);
    const last = data.trimEnd().split('\n').at(-1)!;
    const doc = JSON.parse(Buffer.from(last.slice(LAUNCH_LINE_PREFIX.length), 'base64').toString());
    expect(doc).toMatchObject({
      control: 's3://bucket/runs/train/attempts/2/',
      hosts: record.hosts,
      launch: {
        image: 'img:1',
        dockerFlags: ['--gpus', 'all'],
        replicas: [{ name: 'worker-0', env: { A: '1' } }],
      },
    });
    // EC2 takes at most 16 KB of user data (before base64): the script leaves room for the launch.
    expect(Buffer.byteLength(data)).toBeLessThan(16 * 1024);
  });
});
