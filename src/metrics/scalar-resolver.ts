/**
 * The second step of turning decoded Events into scalars: decides, in file
 * order, which classified values are scalars and makes them metric events.
 * A tag's metadata may come only with its first value (TF1's FileWriter
 * strips it from later ones, see summary.proto), so what the last metadata
 * said is remembered per tag, for the whole file.
 */

import { type ScalarColumns, ValueKind } from './scalar-columns.ts';
import type { MetricEvent } from './types.ts';
import type { WarnFn } from './value-classifier.ts';

export class ScalarResolver {
  /** Tag → whether its last metadata named the scalars plugin. */
  private readonly scalarTags = new Map<string, boolean>();

  private readonly file: string;
  private readonly run: string;
  private readonly warn: WarnFn;

  constructor(file: string, run: string, warn: WarnFn) {
    this.file = file;
    this.run = run;
    this.warn = warn;
  }

  /**
   * Appends the scalars of `columns` from value `from` to `out` until `out`
   * holds at least `atLeast` events, ending at a record boundary (so a
   * reader can resume at the end of the last record handed out). Returns the
   * index of the first value not looked at.
   */
  resolve(columns: ScalarColumns, from: number, atLeast: number, out: MetricEvent[]): number {
    const { count, tags, tagIds, kinds, steps, values, wallTimes, recordOffsets, recordEnds, problems } =
      columns;
    // What this chunk's tags are, looked up in the map once per tag rather than once per value.
    const isScalar: (boolean | undefined)[] = new Array(tags.length);
    const touched = new Set<number>();
    let i = from;
    while (i < count) {
      const tagId = tagIds[i]!;
      const kind = kinds[i];
      let scalar: boolean;
      if (kind === ValueKind.Simple) {
        scalar = true;
      } else if (kind === ValueKind.InheritTensor) {
        let known = isScalar[tagId];
        if (known === undefined) {
          known = this.scalarTags.get(tags[tagId]!) ?? false;
          isScalar[tagId] = known;
        }
        scalar = known;
      } else {
        scalar = kind === ValueKind.ScalarTensor;
        if (isScalar[tagId] !== scalar) {
          isScalar[tagId] = scalar;
          touched.add(tagId);
        }
      }
      if (scalar) {
        const problem = problems.size > 0 ? problems.get(i) : undefined;
        if (problem === undefined) {
          out.push({
            run: this.run,
            tag: tags[tagId]!,
            step: steps[i]!,
            value: values[i]!,
            wallTime: wallTimes[i]!,
            file: this.file,
          });
        } else {
          this.warn(
            'not-a-number',
            recordOffsets[i]!,
            `scalar "${tags[tagId]}" at step ${steps[i]} skipped: ${problem}`,
          );
        }
      }
      i++;
      if (out.length >= atLeast && (i === count || recordEnds[i] !== recordEnds[i - 1])) break;
    }
    for (const tagId of touched) this.scalarTags.set(tags[tagId]!, isScalar[tagId]!);
    return i;
  }
}
