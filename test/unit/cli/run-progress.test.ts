/**
 * The progress line of `strato run` (issue 18, item 7): the epoch from the
 * metrics followed, counted from 1 (in progress while its batches run, done
 * between epochs), the planned total from the chief's `Epoch N/M` lines, the
 * elapsed time, an ETA from the measured time per epoch (on an injected
 * clock), and a line that fits the terminal.
 */

import { describe, expect, it } from 'vitest';
import {
  EpochProgress,
  fitToWidth,
  parseEpochLine,
  progressText,
  readsEpochLinesOf,
} from '../../../src/cli/run-progress.ts';
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

describe('epoch lines in the log', () => {
  it("reads Keras's `Epoch 3/6` and the trainer helper's and reference trainer's `epoch 3/6 …`", () => {
    expect(parseEpochLine('Epoch 3/6')).toEqual({ epoch: 3, of: 6 });
    expect(parseEpochLine('  Epoch 12/120')).toEqual({ epoch: 12, of: 120 });
    expect(parseEpochLine('epoch 3/6  loss 0.5123  accuracy 0.8100  (1.2 s)')).toEqual({ epoch: 3, of: 6 });
    expect(parseEpochLine('epoch 1/6 step 23/93 loss 1.6727 accuracy 0.4076')).toEqual({ epoch: 1, of: 6 });
    expect(parseEpochLine('epoch 2/6: loss 0.6338 accuracy 0.7755')).toEqual({ epoch: 2, of: 6 });
  });

  it('nothing else: not mid-line, not a progress bar, not a word that runs on, not 0', () => {
    for (const text of [
      '93/93 [==============================] - 1s 4ms/step - loss: 0.4',
      'restored ckpt-93.json: epoch 2, step 5',
      'INFO: Epoch 3/6',
      'Epoch 3/6x',
      'epochs 3/6',
      'Epoch 3 / 6',
      'Epoch 0/6',
      'Epoch 1/0',
      '',
    ]) {
      expect(parseEpochLine(text), text).toBeUndefined();
    }
  });

  it("one replica's lines: the chief's (Vertex's workerpool0-0), else worker-0's", () => {
    expect(readsEpochLinesOf('chief-0', true)).toBe(true);
    expect(readsEpochLinesOf('workerpool0-0', false)).toBe(true);
    expect(readsEpochLinesOf('worker-0', false)).toBe(true);
    expect(readsEpochLinesOf('worker-0', true)).toBe(false);
    for (const other of ['worker-1', 'ps-0', 'evaluator-0', 'workerpool1-0']) {
      expect(readsEpochLinesOf(other, false), other).toBe(false);
    }
  });

  it('the total joins the epoch: `epoch 1/6` while it runs, `epoch 1/6 done` after', () => {
    const progress = new EpochProgress();
    progress.addLogLine('worker-0: rank 0 of 2');
    expect(progress.planned).toBeUndefined();
    progress.addLogLine('Epoch 1/6');
    expect(progress.planned).toBe(6);
    // Keras prints the line as the epoch starts: it is under way before any metric.
    expect(progress.label()).toBe('epoch 1/6');
    progress.add(event('batch_loss', 10));
    progress.add(event('epoch_loss', 0));
    expect(progress.label()).toBe('epoch 1/6 done');
    progress.addLogLine('Epoch 2/6');
    expect(progress.label()).toBe('epoch 2/6');
  });
});

describe('the ETA', () => {
  /** A clock the test moves by hand. */
  const clock = () => {
    const c = { at: 1_000_000, now: () => c.at };
    return c;
  };

  it('none before the first epoch ends, then the measured time per epoch × the epochs left, counting down', () => {
    const c = clock();
    const progress = new EpochProgress(c.now);
    progress.running();
    c.at += 5_000; // the trainer's start-up
    progress.addLogLine('Epoch 1/6'); // epoch 1 starts
    c.at += 2_000;
    progress.add(event('batch_loss', 50));
    expect(progress.etaMs()).toBeUndefined();
    c.at += 8_000;
    progress.add(event('epoch_loss', 0)); // epoch 1 took 10 s (from its Epoch line, not from RUNNING)
    expect(progress.etaMs()).toBe(50_000);
    c.at += 3_000;
    expect(progress.etaMs()).toBe(47_000);
    // Epoch 2 took 6 s: from here on the time between epoch ends counts, the first epoch's no more.
    c.at += 3_000;
    progress.add(event('epoch_loss', 1));
    expect(progress.etaMs()).toBe(24_000);
    c.at += 10_000;
    progress.add(event('epoch_loss', 2)); // 8 s per epoch over epochs 2 and 3
    expect(progress.etaMs()).toBe(24_000);
    c.at += 30_000; // slower than measured: never below 0
    expect(progress.etaMs()).toBe(0);
  });

  it('from RUNNING when the trainer shows no sign of epoch 1 starting before it ends', () => {
    const c = clock();
    const progress = new EpochProgress(c.now);
    progress.running();
    c.at += 4_000;
    progress.addLogLine('epoch 1/4  loss 0.9  (3.1 s)'); // the helper's loop prints at the epoch's end
    progress.add(event('epoch_loss', 0));
    expect(progress.etaMs()).toBe(12_000);
  });

  it('none when no start was seen before the first end (a resumed run replaying its epochs)', () => {
    const c = clock();
    const progress = new EpochProgress(c.now);
    progress.addLogLine('Epoch 4/6');
    progress.add(event('epoch_loss', 2));
    expect(progress.etaMs()).toBeUndefined();
    c.at += 5_000;
    progress.add(event('epoch_loss', 3));
    expect(progress.etaMs()).toBe(10_000);
  });

  it('none without a planned total, and none once every planned epoch is done', () => {
    const c = clock();
    const progress = new EpochProgress(c.now);
    progress.running();
    c.at += 1_000;
    progress.add(event('epoch_loss', 0));
    c.at += 1_000;
    progress.add(event('epoch_loss', 1));
    expect(progress.etaMs()).toBeUndefined();
    expect(progress.label()).toBe('epoch 2 done');
    progress.addLogLine('epoch 2/2  loss 0.4');
    expect(progress.etaMs()).toBeUndefined();
    expect(progress.label()).toBe('epoch 2/2 done');
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

describe('the line with a planned total and an ETA', () => {
  let at = 0;
  const progress = new EpochProgress(() => at);
  progress.running();
  progress.addLogLine('Epoch 1/6');
  for (const [step, epoch] of [
    [70, 0],
    [140, 1],
  ] as const) {
    at += 10_000;
    progress.add(event('batch_loss', step));
    progress.add(event('epoch_loss', epoch));
  }
  progress.addLogLine('Epoch 3/6');
  progress.add(event('batch_loss', 141));
  at += 2_000;
  const line = (columns: number) => progressText('quickstart-4sa1tr', 'RUNNING', progress, 22_300, columns);

  it('says `epoch 3/6` and the ETA last on a wide terminal', () => {
    expect(line(120)).toBe('quickstart-4sa1tr RUNNING · epoch 3/6 · step 141 · elapsed 22.3 s · ETA 38.0 s');
  });

  it('drops the job id, then the step, then the ETA, before cutting', () => {
    expect(line(70)).toBe('RUNNING · epoch 3/6 · step 141 · elapsed 22.3 s · ETA 38.0 s');
    expect(line(55)).toBe('RUNNING · epoch 3/6 · elapsed 22.3 s · ETA 38.0 s');
    expect(line(45)).toBe('RUNNING · epoch 3/6 · elapsed 22.3 s');
    for (let columns = 8; columns < 90; columns++) expect(line(columns).length).toBeLessThan(columns);
  });
});
