/**
 * One number, time and epoch format across run, status, metrics and list
 * (issue 18, item 7): durations rounded once (a list AGE of `4 min 60 s` was
 * seen), values to six significant digits, and epochs counted from 1 in every
 * human view, as Keras prints them — while the event files count from 0.
 */

import { describe, expect, it } from 'vitest';
import { stepLabel } from '../../../src/cli/format.ts';
import {
  EpochLineBuilder,
  formatDuration,
  renderMetricsSummary,
  renderStatus,
} from '../../../src/cli/render-job.ts';
import { renderTerminalChart } from '../../../src/metrics/charts/terminal.ts';
import { groupSeries } from '../../../src/metrics/series.ts';
import { summarizeMetrics } from '../../../src/metrics/summary.ts';
import type { MetricEvent } from '../../../src/metrics/types.ts';

const event = (run: string, tag: string, step: number, value: number): MetricEvent => ({
  run,
  tag,
  step,
  value,
  wallTime: 1_700_000_000 + step,
  file: `logs/${run}/events`,
});

/** Two epochs as Keras writes them: steps 0 and 1. */
const twoEpochs = [0, 1].flatMap((step) => [
  event('train', 'epoch_loss', step, 0.5 - step / 10),
  event('train', 'epoch_accuracy', step, 0.6 + step / 10),
  event('validation', 'epoch_loss', step, 0.55 - step / 10),
  event('validation', 'epoch_accuracy', step, 0.58 + step / 10),
]);

describe('durations', () => {
  it('are rounded once, on the whole: never "60 s" in a minute', () => {
    expect(formatDuration(299_700)).toBe('5 min 00 s');
    expect(formatDuration(299_400)).toBe('4 min 59 s');
    expect(formatDuration(59_960)).toBe('1 min 00 s');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(3_599_800)).toBe('1 h 00 min');
    expect(formatDuration(7_620_000)).toBe('2 h 07 min');
  });
});

describe('epochs count from 1 in every human view', () => {
  it('stepLabel: epoch_* steps read as epochs, batch steps as written', () => {
    expect(stepLabel('epoch_loss', 0)).toBe('epoch 1');
    expect(stepLabel('batch_loss', 0)).toBe('0');
  });

  it('the live line of run, the summary table of run/status, and the chart agree: the last epoch is 2', () => {
    const lines = new EpochLineBuilder();
    const live = twoEpochs.map((e) => lines.add(e)).filter(Boolean);
    expect(live).toEqual([
      expect.stringMatching(/^epoch 1 {2}loss 0\.5 /),
      expect.stringMatching(/^epoch 2 /),
    ]);

    const summary = renderMetricsSummary(summarizeMetrics(twoEpochs));
    expect(summary).toMatch(/train\s+epoch_loss\s+epoch 2\s+0\.4\n/);

    const chart = renderTerminalChart(groupSeries(twoEpochs).find((s) => s.tag === 'epoch_loss')!);
    expect(chart).toMatch(/epoch 1\s+2\n/);
  });

  it('values use six significant digits everywhere (no fixed 4 decimals)', () => {
    const lines = new EpochLineBuilder();
    const line = [
      event('train', 'epoch_loss', 0, 0.123456789),
      event('train', 'epoch_accuracy', 0, 0.5),
      event('validation', 'epoch_loss', 0, 1234.5678),
      event('validation', 'epoch_accuracy', 0, 0.00012345),
    ]
      .map((e) => lines.add(e))
      .find(Boolean);
    expect(line).toBe('epoch 1  loss 0.123457  accuracy 0.5  val_loss 1234.57  val_accuracy 0.00012345');
  });
});

describe('strato status header', () => {
  const record = {
    id: 'tpu-pod-1',
    strategy: 'tpu',
    provider: 'tpu-vm',
    replicaCount: 4,
    createdAt: '2026-01-01T00:00:00.000Z',
    runDir: 'gs://b/runs/tpu-pod-1/',
  } as unknown as Parameters<typeof renderStatus>[0];
  const now = new Date('2026-01-01T00:00:11.000Z');
  const status = (state: 'QUEUED' | 'RUNNING'): Parameters<typeof renderStatus>[1] => ({
    state,
    attempt: 1,
    replicas: [],
    restarts: [],
    startedAt: '2026-01-01T00:00:00.000Z',
  });

  it('says how long a job still QUEUED has waited, and how long a RUNNING one has run', () => {
    expect(renderStatus(record, status('QUEUED'), now).split('\n')[1]).toBe(
      '  tpu on tpu-vm, 4 replica(s), attempt 1, waiting 11.0 s',
    );
    expect(renderStatus(record, status('RUNNING'), now).split('\n')[1]).toBe(
      '  tpu on tpu-vm, 4 replica(s), attempt 1, ran 11.0 s',
    );
  });
});
