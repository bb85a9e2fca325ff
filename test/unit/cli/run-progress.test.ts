/**
 * The progress line of `strato run` (issue 18, item 7): the epoch from the
 * metrics followed, counted from 1 (in progress while its batches run, done
 * between epochs), the elapsed time, and a line that fits the terminal.
 */

import { describe, expect, it } from 'vitest';
import { EpochProgress, fitToWidth, progressText } from '../../../src/cli/run-progress.ts';
import type { MetricEvent } from '../../../src/metrics/types.ts';

const event = (tag: string, step: number, run = 'train'): MetricEvent => ({
  run,
  tag,
  step,
  value: 0.5,
  wallTime: 0,
  file: 'logs/train/events.out.tfevents',
});

describe('where training is', () => {
  it('nothing before the first metric', () => {
    expect(new EpochProgress().label()).toBeUndefined();
  });

  it('epoch 1 from its first batch; "epoch 1 done" at its epoch_loss (Keras step 0); epoch 2 from the next batch', () => {
    const progress = new EpochProgress();
    progress.add(event('batch_loss', 1));
    expect(progress.label()).toBe('epoch 1');
    progress.add(event('batch_loss', 93));
    progress.add(event('epoch_loss', 0));
    expect(progress.label()).toBe('epoch 1 done');
    progress.add(event('epoch_loss', 0, 'validation'));
    expect(progress.label()).toBe('epoch 1 done');
    progress.add(event('batch_loss', 94));
    expect(progress.label()).toBe('epoch 2');
    expect(progress.step).toBe(94);
  });

  it('a trainer that logs per epoch only: "epoch N done", no step', () => {
    const progress = new EpochProgress();
    for (const step of [0, 1, 2]) progress.add(event('epoch_loss', step));
    expect(progress.label()).toBe('epoch 3 done');
    expect(progress.step).toBeUndefined();
  });
});

describe('the line', () => {
  const progress = new EpochProgress();
  progress.add(event('batch_loss', 140));
  progress.add(event('epoch_loss', 1));
  progress.add(event('batch_loss', 141));

  it('says it all on a wide terminal', () => {
    expect(progressText('quickstart-4sa1tr', 'RUNNING', progress, 12_300, 120)).toBe(
      'quickstart-4sa1tr RUNNING · epoch 3 · step 141 · elapsed 12.3 s',
    );
  });

  it('drops the job id, then the step, before cutting, and is always narrower than the terminal', () => {
    expect(progressText('quickstart-4sa1tr', 'RUNNING', progress, 12_300, 50)).toBe(
      'RUNNING · epoch 3 · step 141 · elapsed 12.3 s',
    );
    expect(progressText('quickstart-4sa1tr', 'RUNNING', progress, 12_300, 40)).toBe(
      'RUNNING · epoch 3 · elapsed 12.3 s',
    );
    for (const columns of [10, 20, 33, 34, 35, 47, 64, 65, 66]) {
      expect(progressText('quickstart-4sa1tr', 'RUNNING', progress, 12_300, columns).length).toBeLessThan(
        columns,
      );
    }
    expect(fitToWidth('RUNNING · epoch 3 · elapsed 12.3 s', 12)).toBe('RUNNING · …');
  });
});
