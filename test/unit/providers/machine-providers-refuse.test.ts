/**
 * The machine providers refuse before creating anything: no credentials is
 * E_AUTH naming the gcloud command; standing machines (`provider.vms`,
 * `provider.slice`) of a stack that was never deployed are E_NOT_FOUND,
 * saying to deploy it (test/integration/gce-standing.test.ts and
 * tpu-standing.test.ts run jobs on deployed ones).
 */

import { afterEach, describe, expect, it } from 'vitest';
import { planJob } from '../../../src/jobs/plan-job.ts';
import { createGceProvider } from '../../../src/providers/gce/index.ts';
import { createTpuVmProvider } from '../../../src/providers/tpu-vm/index.ts';
import type { SubmitContext } from '../../../src/providers/types.ts';
import { parseJobSpec } from '../../../src/spec/load.ts';
import type { JobSpecInput } from '../../../src/spec/schema.ts';
import { gceSpec, tpuSpec, withField } from '../../support/specs.ts';

const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
afterEach(() => {
  if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
});

const context = (env: NodeJS.ProcessEnv): SubmitContext => ({
  jobId: 'refused-abc123',
  jobDir: '/nonexistent',
  baseDir: process.cwd(),
  env,
});
const plan = (input: JobSpecInput) => planJob(parseJobSpec(input));

describe('machine providers refuse before creating anything', () => {
  it('GIVEN gce and no Google credentials THEN E_AUTH naming `gcloud auth application-default login`', async () => {
    process.env.GOOGLE_APPLICATION_CREDENTIALS = '/nonexistent/strato-test-key.json';
    const env = { STRATO_COMPUTE_ENDPOINT: 'https://127.0.0.1:9' };
    const provider = createGceProvider({
      env,
      startupScript: '#!/bin/sh\n',
      retry: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1 },
    });
    await expect(provider.submit(plan(gceSpec()), context(env))).rejects.toMatchObject({
      code: 'E_AUTH',
      hint: expect.stringContaining('gcloud auth application-default login'),
    });
  });

  it('GIVEN tpu-vm and no Google credentials THEN E_AUTH naming `gcloud auth application-default login`', async () => {
    process.env.GOOGLE_APPLICATION_CREDENTIALS = '/nonexistent/strato-test-key.json';
    const env = { STRATO_TPU_ENDPOINT: 'https://127.0.0.1:9' };
    const provider = createTpuVmProvider({ env, startupScript: '#!/bin/sh\n' });
    const error = await provider
      .submit(plan(tpuSpec('v4-8', 'tpu-vm-tf-2.16.1-pjrt')), context(env))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'E_AUTH',
      hint: expect.stringContaining('gcloud auth application-default login'),
    });
  });

  it('GIVEN standing VMs or a standing slice of a stack never deployed THEN E_NOT_FOUND, saying to deploy it', async () => {
    const env = { STRATO_COMPUTE_ENDPOINT: 'http://127.0.0.1:9', STRATO_TPU_ENDPOINT: 'http://127.0.0.1:9' };
    await expect(
      createGceProvider({ env }).submit(
        plan(withField(gceSpec(), 'provider.vms', 'training/gpus')),
        context(env),
      ),
    ).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
      message: expect.stringContaining('provider.vms: no deployed stack "training"'),
      hint: expect.stringContaining('strato infra deploy infra/training.ts'),
    });
    await expect(
      createTpuVmProvider({ env }).submit(
        plan(withField(tpuSpec('v4-8', 'tpu-vm-tf-2.16.1-pjrt'), 'provider.slice', 'training/pod')),
        context(env),
      ),
    ).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
      message: expect.stringContaining('provider.slice: no deployed stack "training"'),
    });
  });
});
