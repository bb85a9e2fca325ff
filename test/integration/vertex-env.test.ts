/**
 * The environment a caller hands to the SDK (or the CLI's `io.env`) is the
 * one the provider reads its endpoint from — not this process's. A program
 * that embeds Strato, or a test, points one call at the fake cloud without
 * touching `process.env`.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { submit } from '../../src/jobs/submit.ts';
import { VERTEX_ENDPOINT_ENV } from '../../src/providers/vertex/index.ts';
import { trainerJob, useVertexCloud } from '../support/vertex.ts';

const env = useVertexCloud();

describe('the environment given to submit', () => {
  it('points the Vertex provider at the fake cloud when process.env does not', async () => {
    expect(process.env[VERTEX_ENDPOINT_ENV]).toBeUndefined();
    const home = mkdtempSync(join(tmpdir(), 'strato-vertex-env-'));
    try {
      const spec = trainerJob('env-only', [], {
        container: {
          image: 'us-docker.pkg.dev/p/r/short:1',
          command: [process.execPath, '-e', 'setTimeout(() => {}, 300)'],
        },
      });
      const callerEnv = { ...env.cloud.env, STRATO_HOME: home };
      const job = await submit(spec, { env: callerEnv });
      expect(job.record.jobDir.startsWith(home)).toBe(true);
      const io = bufferIo({ env: callerEnv });
      expect(await main(['status', job.id], io), io.stderr).toBe(0);
      expect(io.stdout).toContain(job.id);
      expect(env.cloud.vertex!.faults.counts.calls.CreateCustomJob).toBeGreaterThanOrEqual(1);
      await job.cancel('test over');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
