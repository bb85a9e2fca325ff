/** Metric events grouped for drawing: one chart per tag, one line per run. */

import type { MetricEvent } from './types.ts';

export interface SeriesPoint {
  step: number;
  value: number;
}

export interface RunSeries {
  run: string;
  /** Sorted by step; one point per step (the last one written wins, as in TensorBoard). */
  points: SeriesPoint[];
}

export interface TagSeries {
  tag: string;
  /** Sorted by run name, so `train` and `validation` keep their places. */
  runs: RunSeries[];
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Collects events into series one at a time; memory grows with distinct steps, not events. */
export class SeriesCollector {
  private readonly tags = new Map<string, Map<string, Map<number, number>>>();

  add({ tag, run, step, value }: MetricEvent): void {
    let runs = this.tags.get(tag);
    if (!runs) {
      runs = new Map();
      this.tags.set(tag, runs);
    }
    let steps = runs.get(run);
    if (!steps) {
      steps = new Map();
      runs.set(run, steps);
    }
    steps.set(step, value);
  }

  get size(): number {
    return this.tags.size;
  }

  series(): TagSeries[] {
    return [...this.tags.entries()]
      .sort(([a], [b]) => byName(a, b))
      .map(([tag, runs]) => ({
        tag,
        runs: [...runs.entries()]
          .sort(([a], [b]) => byName(a, b))
          .map(([run, steps]) => ({
            run,
            points: [...steps.entries()]
              .map(([step, value]) => ({ step, value }))
              .sort((a, b) => a.step - b.step),
          })),
      }));
  }
}

export function groupSeries(events: Iterable<MetricEvent>): TagSeries[] {
  const collector = new SeriesCollector();
  for (const event of events) collector.add(event);
  return collector.series();
}

/**
 * At most `maxPoints` points that keep the shape of the line: the series is
 * cut into buckets of consecutive steps and each keeps its lowest and highest
 * value (in step order), so spikes survive; the first and last points stay.
 */
export function downsample(points: SeriesPoint[], maxPoints: number): SeriesPoint[] {
  if (points.length <= maxPoints || maxPoints < 4) return points;
  const buckets = Math.floor((maxPoints - 2) / 2);
  const inner = points.slice(1, -1);
  const out: SeriesPoint[] = [points[0]!];
  for (let b = 0; b < buckets; b++) {
    const slice = inner.slice(
      Math.floor((b * inner.length) / buckets),
      Math.floor(((b + 1) * inner.length) / buckets),
    );
    if (slice.length === 0) continue;
    let low = slice[0]!;
    let high = slice[0]!;
    for (const point of slice) {
      if (point.value < low.value) low = point;
      if (point.value > high.value) high = point;
    }
    if (low === high) out.push(low);
    else out.push(...(low.step < high.step ? [low, high] : [high, low]));
  }
  out.push(points.at(-1)!);
  return out;
}
