import { describe, expect, it } from 'vitest';
import { renderTerminalChart } from '../../../src/metrics/charts/terminal.ts';
import { CSV_HEADER, formatValue, metricCsv, metricJson } from '../../../src/metrics/format.ts';
import { downsample, groupSeries } from '../../../src/metrics/series.ts';
import type { MetricEvent } from '../../../src/metrics/types.ts';

const event = (run: string, tag: string, step: number, value: number): MetricEvent => ({
  run,
  tag,
  step,
  value,
  wallTime: 1000 + step,
  file: `/runs/a/logs/${run}/events.out.tfevents.1`,
});

describe('groupSeries', () => {
  it('makes one series per tag with its runs in name order, points by step, the last write of a step winning', () => {
    const series = groupSeries([
      event('validation', 'epoch_loss', 1, 0.8),
      event('train', 'epoch_loss', 1, 0.7),
      event('train', 'epoch_loss', 0, 0.9),
      event('train', 'epoch_loss', 1, 0.6),
      event('train', 'epoch_accuracy', 0, 0.5),
    ]);
    expect(series).toEqual([
      { tag: 'epoch_accuracy', runs: [{ run: 'train', points: [{ step: 0, value: 0.5 }] }] },
      {
        tag: 'epoch_loss',
        runs: [
          {
            run: 'train',
            points: [
              { step: 0, value: 0.9 },
              { step: 1, value: 0.6 },
            ],
          },
          { run: 'validation', points: [{ step: 1, value: 0.8 }] },
        ],
      },
    ]);
  });
});

describe('downsample', () => {
  it('keeps a short series as it is', () => {
    const points = [1, 2, 3].map((step) => ({ step, value: step }));
    expect(downsample(points, 10)).toBe(points);
  });

  it('keeps at most the limit, the first and last points, and every spike', () => {
    const points = Array.from({ length: 10_000 }, (_, step) => ({
      step,
      value: step === 4321 ? 99 : Math.sin(step / 100),
    }));
    const out = downsample(points, 500);
    expect(out.length).toBeLessThanOrEqual(500);
    expect(out[0]).toBe(points[0]);
    expect(out.at(-1)).toBe(points.at(-1));
    expect(out).toContain(points[4321]);
    expect(out.map((p) => p.step)).toEqual([...out.map((p) => p.step)].sort((a, b) => a - b));
  });
});

describe('renderTerminalChart', () => {
  it('draws each run with its own marker on shared axes, with the value range and steps labelled', () => {
    const [series] = groupSeries([
      event('train', 'loss', 0, 1),
      event('train', 'loss', 10, 0),
      event('validation', 'loss', 0, 0.5),
      event('validation', 'loss', 10, 0.5),
    ]);
    const chart = renderTerminalChart(series!, { width: 11, height: 5 });
    expect(chart).toBe(
      [
        'loss',
        '1 |*',
        '  |',
        '  |o         o',
        '  |',
        '0 |          *',
        '  +-----------',
        '   step 0   10',
        '   * train   o validation',
      ].join('\n'),
    );
  });

  it('copes with a single point and with values that are all the same', () => {
    const [series] = groupSeries([event('', 'lr', 3, 0.01)]);
    const chart = renderTerminalChart(series!, { width: 10, height: 3 });
    // The flat value sits mid-height, between labels 0.015 and 0.005.
    expect(chart.split('\n').slice(1, 4)).toEqual(['0.015 |', '      |*', '0.005 |']);
    expect(chart).toContain('(top level)');
  });
});

describe('text formats', () => {
  it('formats values to six significant digits', () => {
    expect(formatValue(0.11201018840074539)).toBe('0.11201');
    expect(formatValue(1234567.8)).toBe('1234570');
    expect(formatValue(Number.NaN)).toBe('NaN');
  });

  it('writes NDJSON with null for values JSON cannot hold, and CSV with quoting', () => {
    const e = { ...event('train', 'loss, "smoothed"', 1, Number.NaN) };
    expect(JSON.parse(metricJson(e))).toEqual({ ...e, value: null });
    expect(CSV_HEADER).toBe('run,tag,step,value,wall_time,file');
    expect(metricCsv(e)).toBe(
      'train,"loss, ""smoothed""",1,NaN,1001,/runs/a/logs/train/events.out.tfevents.1',
    );
  });

  it('writes the same NDJSON as JSON.stringify of the event, byte for byte', () => {
    const events = [
      event('train', 'epoch_loss', 1_386_999, 0.03529264703392983),
      event('validation', 'acc/\u00e9t\u00e9 "top-1"\n', 0, -1e-7),
      event('', 'tab\there', 2 ** 53 - 1, 1e21),
    ];
    for (const e of events) expect(metricJson(e)).toBe(JSON.stringify(e));
    const infinite = event('train', 'loss', 1, Number.POSITIVE_INFINITY);
    expect(metricJson(infinite)).toBe(JSON.stringify({ ...infinite, value: null }));
  });
});
