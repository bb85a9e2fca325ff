/** The README's main job: `strato run templates/quickstart.yaml` on this machine, within the 60 s budget. */

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { REPO_ROOT, tempDir } from '../support/local.ts';

const home = tempDir('strato-quickstart-');
afterAll(() => home.remove());

describe('the quickstart', () => {
  it('trains two workers to a summary with a chart, and exits 0', async () => {
    const io = bufferIo({ env: { ...process.env, STRATO_HOME: home.path } });
    const started = Date.now();
    const code = await main(['run', join(REPO_ROOT, 'templates/quickstart.yaml')], io);
    const seconds = (Date.now() - started) / 1000;
    expect(code, io.stdout + io.stderr).toBe(0);
    expect(seconds).toBeLessThan(60);
    expect(io.stderr).toMatch(
      /staged 6 data file\(s\), 0\.9 MB \(6 copied\) → file:\/\/.*\/data\/fashion-mnist-mini/,
    );
    expect(io.stdout).toMatch(/worker-0\s+RUNNING \(pid \d+\)/);
    expect(io.stdout).toMatch(/worker-1\s+RUNNING \(pid \d+\)/);
    // Live metric lines, one per epoch.
    const epochs = io.stdout.match(
      /epoch \d+ {2}loss [\d.]+ {2}accuracy [\d.]+ {2}val_loss [\d.]+ {2}val_accuracy [\d.]+/g,
    );
    expect(epochs).toHaveLength(6);
    // The job's end comes after its last epoch's line, even when that epoch was read after the end.
    expect(io.stdout.indexOf('job        SUCCEEDED')).toBeGreaterThan(io.stdout.lastIndexOf('epoch 6  loss'));
    expect(io.stdout).toMatch(/quickstart-\w+ SUCCEEDED in [\d.]+ s/);
    expect(io.stdout).toContain('epoch_accuracy\n');
    expect(io.stdout).toContain('* train   o validation');
    // The summary counts epochs as the live lines do: the 6th is "epoch 6".
    const finalAccuracy = Number(/validation {2}epoch_accuracy {2}epoch 6\s+([\d.]+)/.exec(io.stdout)?.[1]);
    expect(finalAccuracy).toBeGreaterThan(0.75);
  }, 60_000);
});
