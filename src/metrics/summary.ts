/** What `strato status` shows of a run's metrics: the last step, the latest values, the pace. */

import type { MetricEvent } from './types.ts';

/** The last value of one tag. */
export interface LatestValue {
  run: string;
  tag: string;
  step: number;
  value: number;
  /** Values read for this run and tag. */
  points: number;
}

/** What `summarizeMetrics` returns. */
export interface MetricsSummary {
  /** Highest step seen in any series; undefined without events. */
  lastStep: number | undefined;
  /** The value at the highest step of each (run, tag), sorted by run then tag. */
  latest: LatestValue[];
  /** Recent training pace, from the series that reached the highest step; undefined when it cannot be told. */
  stepsPerSec: number | undefined;
}

/**
 * Points of the pace window: the rate is measured over the last this-many
 * steps of the series, so it reflects the current speed (after a restart or a
 * slow first epoch) rather than the run's average.
 */
const PACE_WINDOW_POINTS = 20;

interface Series {
  latest: MetricEvent;
  points: number;
  /** The most recent points, at most PACE_WINDOW_POINTS + 1, in arrival order. */
  recent: MetricEvent[];
}

/**
 * Builds a summary one event at a time, in memory bounded by the number of
 * series (not of events): feed it from `followRunMetrics`.
 */
export class MetricsSummarizer {
  private readonly series = new Map<string, Map<string, Series>>();

  add(event: MetricEvent): void {
    let tags = this.series.get(event.run);
    if (!tags) {
      tags = new Map();
      this.series.set(event.run, tags);
    }
    const known = tags.get(event.tag);
    if (!known) {
      tags.set(event.tag, { latest: event, points: 1, recent: [event] });
      return;
    }
    known.points += 1;
    // A rewritten step (a resumed run) replaces the older value: TensorBoard shows the last one written.
    if (event.step >= known.latest.step) known.latest = event;
    known.recent.push(event);
    if (known.recent.length > PACE_WINDOW_POINTS + 1) known.recent.shift();
  }

  summary(): MetricsSummary {
    const all = [...this.series.values()].flatMap((tags) => [...tags.values()]);
    const latest = all
      .map(({ latest: { run, tag, step, value }, points }) => ({ run, tag, step, value, points }))
      .sort((a, b) => (a.run === b.run ? compare(a.tag, b.tag) : compare(a.run, b.run)));
    let leader: Series | undefined;
    for (const s of all) if (!leader || s.latest.step > leader.latest.step) leader = s;
    return { lastStep: leader?.latest.step, latest, stepsPerSec: leader ? paceOf(leader.recent) : undefined };
  }
}

/** The latest value of every tag, the last step and the pace in steps per second. */
export function summarizeMetrics(events: Iterable<MetricEvent>): MetricsSummary {
  const summarizer = new MetricsSummarizer();
  for (const event of events) summarizer.add(event);
  return summarizer.summary();
}

function paceOf(points: MetricEvent[]): number | undefined {
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last || last === first) return undefined;
  const steps = last.step - first.step;
  const seconds = last.wallTime - first.wallTime;
  if (steps <= 0 || seconds <= 0) return undefined;
  return steps / seconds;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
