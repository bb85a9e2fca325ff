/**
 * The candidate scalars of a run of records, one column per field: what a
 * decode step hands to the step that resolves which tags are scalars. Plain
 * typed arrays, so a decode worker can hand them to the main thread by
 * transfer, without copying or creating an object per value.
 */

/** How a value's metadata classifies its tag (what `ScalarResolver` needs). */
export const ValueKind = {
  /** A TF1 `simple_value`: a scalar whatever the metadata says. */
  Simple: 0,
  /** A tensor whose metadata names the scalars plugin. */
  ScalarTensor: 1,
  /** A tensor whose metadata names another plugin (images, text…), or is unreadable. */
  OtherTensor: 2,
  /** A tensor without metadata: the tag's earlier metadata decides (TF1's FileWriter strips repeats). */
  InheritTensor: 3,
} as const;
export type ValueKind = (typeof ValueKind)[keyof typeof ValueKind];

export interface ScalarColumns {
  count: number;
  /** The distinct tags, indexed by `tagIds`. */
  tags: string[];
  tagIds: Int32Array;
  kinds: Uint8Array;
  steps: Float64Array;
  /** NaN when the tensor holds no number (then `problems` says why). */
  values: Float64Array;
  wallTimes: Float64Array;
  /** File offset of the record each value came from. */
  recordOffsets: Float64Array;
  /** File offset just past that record. */
  recordEnds: Float64Array;
  /** Value index → why its tensor holds no single number; only when some do not. */
  problems: Map<number, string>;
}

/** The buffers of `columns`, for `postMessage`'s transfer list. */
export function columnBuffers(columns: ScalarColumns): ArrayBuffer[] {
  const { tagIds, kinds, steps, values, wallTimes, recordOffsets, recordEnds } = columns;
  return [tagIds, kinds, steps, values, wallTimes, recordOffsets, recordEnds].map(
    (array) => array.buffer as ArrayBuffer,
  );
}

/** Appends values, growing the columns by doubling. */
export class ScalarColumnsBuilder {
  private columns: ScalarColumns;
  private readonly tagIndex = new Map<string, number>();
  /** Consecutive values mostly share a tag: then hashing it is skipped. */
  private lastTag = '';
  private lastTagId = -1;

  constructor(capacity = 1024) {
    this.columns = {
      count: 0,
      tags: [],
      tagIds: new Int32Array(capacity),
      kinds: new Uint8Array(capacity),
      steps: new Float64Array(capacity),
      values: new Float64Array(capacity),
      wallTimes: new Float64Array(capacity),
      recordOffsets: new Float64Array(capacity),
      recordEnds: new Float64Array(capacity),
      problems: new Map(),
    };
  }

  /** One call per value on the hot path: positional, as an object per call is what the columns avoid. */
  add(
    tag: string,
    kind: ValueKind,
    step: number,
    value: number,
    wallTime: number,
    recordOffset: number,
    recordEnd: number,
  ): number {
    const c = this.columns;
    if (c.count === c.tagIds.length) this.grow();
    const i = c.count++;
    c.tagIds[i] = this.tagId(tag);
    c.kinds[i] = kind;
    c.steps[i] = step;
    c.values[i] = value;
    c.wallTimes[i] = wallTime;
    c.recordOffsets[i] = recordOffset;
    c.recordEnds[i] = recordEnd;
    return i;
  }

  /** Records why value `index` holds no number. */
  problem(index: number, why: string): void {
    this.columns.problems.set(index, why);
  }

  /** The columns, trimmed to their count (the builder is done). */
  finish(): ScalarColumns {
    const c = this.columns;
    const n = c.count;
    return {
      ...c,
      tagIds: c.tagIds.slice(0, n),
      kinds: c.kinds.slice(0, n),
      steps: c.steps.slice(0, n),
      values: c.values.slice(0, n),
      wallTimes: c.wallTimes.slice(0, n),
      recordOffsets: c.recordOffsets.slice(0, n),
      recordEnds: c.recordEnds.slice(0, n),
    };
  }

  private tagId(tag: string): number {
    if (tag === this.lastTag && this.lastTagId >= 0) return this.lastTagId;
    let id = this.tagIndex.get(tag);
    if (id === undefined) {
      id = this.columns.tags.length;
      this.columns.tags.push(tag);
      this.tagIndex.set(tag, id);
    }
    this.lastTag = tag;
    this.lastTagId = id;
    return id;
  }

  private grow(): void {
    const c = this.columns;
    const size = Math.max(64, c.tagIds.length * 2);
    const grown = <T extends Int32Array | Uint8Array | Float64Array>(array: T): T => {
      const next = new (array.constructor as new (n: number) => T)(size);
      next.set(array);
      return next;
    };
    c.tagIds = grown(c.tagIds);
    c.kinds = grown(c.kinds);
    c.steps = grown(c.steps);
    c.values = grown(c.values);
    c.wallTimes = grown(c.wallTimes);
    c.recordOffsets = grown(c.recordOffsets);
    c.recordEnds = grown(c.recordEnds);
  }
}
