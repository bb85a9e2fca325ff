/**
 * Turns decoded Events of one file into metric events: TF1 `simple_value`s,
 * and TF2 tensors whose tag belongs to the `scalars` plugin. Metadata naming
 * the plugin may come only with a tag's first value (TF1's FileWriter strips
 * it from later ones, see summary.proto), so what it says is remembered per
 * tag; Keras repeats it on every value, so it is decoded only when its bytes
 * change.
 */

import {
  type EventCodec,
  type EventMessage,
  int64ToNumber,
  type TensorMessage,
  unknownFieldNumber,
} from './event-codec.ts';
import { DT_FLOAT, tensorScalar } from './tensor-scalar.ts';
import type { MetricEvent, MetricsWarningKind } from './types.ts';

/** `plugin_name` of scalar summaries (tensorboard/plugins/scalar/metadata.py). */
const SCALARS_PLUGIN = 'scalars';
/** `DATA_CLASS_SCALAR` in summary.proto's DataClass. */
const DATA_CLASS_SCALAR = 1;

export type WarnFn = (kind: MetricsWarningKind, offset: number, detail: string) => void;

interface TagInfo {
  tag: string;
  /** The metadata bytes last seen for the tag. */
  metadata: Uint8Array;
  isScalar: boolean;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class ScalarExtractor {
  private readonly tags = new Map<string, TagInfo>();
  /** Consecutive values mostly share a tag: then the map (and hashing a fresh string) is skipped. */
  private lastTag: TagInfo | undefined;
  /** Scratch for reading a float32 from bytes at any alignment without allocating. */
  private readonly scratch = new DataView(new ArrayBuffer(4));
  private readonly scratchBytes = new Uint8Array(this.scratch.buffer);

  constructor(
    private readonly codec: EventCodec,
    private readonly file: string,
    private readonly run: string,
    private readonly warn: WarnFn,
  ) {}

  /** Appends the scalars of `event` (read from the record at `offset`) to `out`. */
  extract(event: EventMessage, offset: number, out: MetricEvent[]): void {
    if (event.$unknowns) this.warnUnknown('Event', event.$unknowns, offset);
    const summary = event.summary;
    if (!summary) return;
    if (summary.$unknowns) this.warnUnknown('Summary', summary.$unknowns, offset);
    const step = int64ToNumber(event.step);
    for (const value of summary.value) {
      if (value.$unknowns) this.warnUnknown('Summary.Value', value.$unknowns, offset);
      let number: number;
      if (value.simpleValue !== undefined) {
        number = value.simpleValue;
      } else if (value.tensor && this.isScalarTag(value.tag, value.metadata, offset)) {
        const fromTensor = this.tensorValue(value.tag, value.tensor, step, offset);
        if (fromTensor === undefined) continue;
        number = fromTensor;
      } else {
        continue; // Images, histograms, text, graphs: not scalars.
      }
      out.push({
        run: this.run,
        tag: value.tag,
        step,
        value: number,
        wallTime: event.wallTime,
        file: this.file,
      });
    }
  }

  private tensorValue(tag: string, tensor: TensorMessage, step: number, offset: number): number | undefined {
    if (tensor.$unknowns) this.warnUnknown('TensorProto', tensor.$unknowns, offset);
    const content = tensor.tensorContent;
    if (tensor.dtype === DT_FLOAT && content.length === 4 && (tensor.tensorShape?.dim.length ?? 0) === 0) {
      // The TF2/Keras case, without the general path's allocations (and byte
      // by byte: TypedArray#set costs more than the copy for 4 bytes).
      const bytes = this.scratchBytes;
      bytes[0] = content[0]!;
      bytes[1] = content[1]!;
      bytes[2] = content[2]!;
      bytes[3] = content[3]!;
      return this.scratch.getFloat32(0, true);
    }
    const scalar = tensorScalar(tensor);
    if (scalar.ok) return scalar.value;
    this.warn('not-a-number', offset, `scalar "${tag}" at step ${step} skipped: ${scalar.problem}`);
    return undefined;
  }

  /** Whether the tag's values are scalars, from this value's metadata or the tag's earlier one. */
  private isScalarTag(tag: string, metadata: Uint8Array | null, offset: number): boolean {
    const known = this.lastTag?.tag === tag ? this.lastTag : this.tags.get(tag);
    if (!metadata || (known && sameBytes(known.metadata, metadata))) {
      if (known) this.lastTag = known;
      return known?.isScalar ?? false;
    }
    let isScalar = false;
    try {
      const decoded = this.codec.decodeMetadata(metadata);
      if (decoded.$unknowns) this.warnUnknown('SummaryMetadata', decoded.$unknowns, offset);
      isScalar = decoded.pluginData?.pluginName === SCALARS_PLUGIN || decoded.dataClass === DATA_CLASS_SCALAR;
    } catch (error) {
      this.warn(
        'undecodable',
        offset,
        `metadata of "${tag}" is not a SummaryMetadata (${(error as Error).message}); its values are skipped`,
      );
    }
    // A copy: `metadata` is a view into the whole chunk read from the store.
    const info = { tag, metadata: new Uint8Array(metadata), isScalar };
    this.tags.set(tag, info);
    this.lastTag = info;
    return isScalar;
  }

  private warnUnknown(message: string, unknowns: Uint8Array[], offset: number): void {
    const fields = [...new Set(unknowns.map(unknownFieldNumber))].join(', ');
    this.warn(
      'unknown-field',
      offset,
      `unknown protobuf field ${fields} in tensorflow.${message} (written by a newer TensorFlow?); ignored`,
    );
  }
}
