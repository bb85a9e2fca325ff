/**
 * A long watch does not leak: every tick of `watchJobs` waits on the
 * caller's signal, and each wait takes its abort listener off again — so a
 * `strato watch` left running for hours never hits Node's
 * MaxListenersExceededWarning (once seen after ~55 s at the default interval).
 */

import { getEventListeners } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { submit } from '../../src/jobs/submit.ts';
import { watchJobs } from '../../src/jobs/watch.ts';
import { createLocalProvider } from '../../src/providers/local/index.ts';
import { expectNothingSurvives, shellSpec, tempDir } from '../support/local.ts';

const home = tempDir('strato-watch-listeners-');
afterAll(() => home.remove());

describe('watchJobs over many ticks', () => {
  it('keeps at most one abort listener on the signal and raises no warning', async () => {
    const provider = createLocalProvider({ pollIntervalMs: 50 });
    const job = await submit(shellSpec('sleep 30'), { provider, home: home.path });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const stop = new AbortController();
    let ticks = 0;
    let mostListeners = 0;
    try {
      for await (const _tick of watchJobs([job.record], {
        provider,
        home: home.path,
        intervalMs: 1,
        signal: stop.signal,
      })) {
        ticks++;
        mostListeners = Math.max(mostListeners, getEventListeners(stop.signal, 'abort').length);
        // Past the default limit of 10 listeners many times over.
        if (ticks === 200) stop.abort();
      }
    } finally {
      process.off('warning', onWarning);
      await job.cancel('test over');
    }
    expect(ticks).toBe(200);
    expect(mostListeners).toBeLessThanOrEqual(1);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    await expectNothingSurvives(job.record.jobDir);
  });
});
