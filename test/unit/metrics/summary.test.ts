import { describe, expect, it } from 'vitest';
import { MetricsSummarizer, summarizeMetrics } from '../../../src/metrics/summary.ts';
import type { MetricEvent } from '../../../src/metrics/types.ts';

const event = (run: string, tag: string, step: number, value: number, wallTime: number): MetricEvent => ({
  run,
  tag,
  step,
  value,
  wallTime,
  file: `/logs/${run}/events.out.tfevents.1`,
});

describe('summarizeMetrics', () => {
  it('has nothing to say about no events', () => {
    expect(summarizeMetrics([])).toEqual({ lastStep: undefined, latest: [], stepsPerSec: undefined });
  });

  it('gives the last step, the latest value of each run and tag, and the recent pace', () => {
    const events: MetricEvent[] = [];
    // batch_loss every 10 steps, 2 s apart: 5 steps/s.
    for (let i = 0; i <= 30; i++)
      events.push(event('train', 'batch_loss', i * 10, 1 / (i + 1), 1000 + i * 2));
    events.push(event('train', 'epoch_loss', 0, 0.9, 1030), event('train', 'epoch_loss', 1, 0.6, 1060));
    events.push(
      event('validation', 'epoch_loss', 0, 0.95, 1031),
      event('validation', 'epoch_loss', 1, 0.7, 1061),
    );
    const summary = summarizeMetrics(events);
    expect(summary.lastStep).toBe(300);
    expect(summary.latest).toEqual([
      { run: 'train', tag: 'batch_loss', step: 300, value: 1 / 31, points: 31 },
      { run: 'train', tag: 'epoch_loss', step: 1, value: 0.6, points: 2 },
      { run: 'validation', tag: 'epoch_loss', step: 1, value: 0.7, points: 2 },
    ]);
    expect(summary.stepsPerSec).toBeCloseTo(5, 9);
  });

  it('measures the pace over the recent points only, so a slow start does not hide the current speed', () => {
    const events = [event('train', 'loss', 0, 1, 0)]; // a long first step: 100 s
    for (let step = 1; step <= 40; step++) events.push(event('train', 'loss', step, 1, 100 + step * 0.5));
    expect(summarizeMetrics(events).stepsPerSec).toBeCloseTo(2, 9);
  });

  it('gives the same summary fed one event at a time, as a stream is', () => {
    const events = [
      event('train', 'loss', 1, 0.5, 10),
      event('train', 'loss', 2, 0.4, 12),
      event('eval', 'acc', 2, 0.9, 13),
    ];
    const summarizer = new MetricsSummarizer();
    for (const e of events) summarizer.add(e);
    expect(summarizer.summary()).toEqual(summarizeMetrics(events));
    expect(summarizer.summary().latest.map((l) => l.run)).toEqual(['eval', 'train']);
  });

  it('keeps the value written last for a step written twice (a resumed run)', () => {
    const summary = summarizeMetrics([
      event('train', 'loss', 5, 0.5, 10),
      event('train', 'loss', 5, 0.4, 20),
    ]);
    expect(summary.latest).toEqual([{ run: 'train', tag: 'loss', step: 5, value: 0.4, points: 2 }]);
    expect(summary.stepsPerSec).toBeUndefined();
  });
});
