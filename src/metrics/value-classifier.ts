/**
 * The first step of turning decoded Events into scalars: each `Summary.Value`
 * that may be a scalar (a TF1 `simple_value`, or a tensor) goes into the
 * columns with its number and what its own metadata says of its tag. Which
 * tags are scalars in the end depends on earlier records (`ScalarResolver`,
 * the second step), so this step holds no state across chunks and can run in
 * a decode worker. Keras repeats a tag's metadata on every value, so it is
 * decoded only when its bytes change.
 */

import {
  type EventCodec,
  type EventMessage,
  int64ToNumber,
  type TensorMessage,
  unknownFieldNumber,
} from './event-codec.ts';
import { ScalarColumnsBuilder, ValueKind } from './scalar-columns.ts';
import { DT_FLOAT, tensorScalar } from './tensor-scalar.ts';
import type { MetricsWarningKind } from './types.ts';

/** `plugin_name` of scalar summaries (tensorboard/plugins/scalar/metadata.py). */
const SCALARS_PLUGIN = 'scalars';
/** `DATA_CLASS_SCALAR` in summary.proto's DataClass. */
const DATA_CLASS_SCALAR = 1;

export type WarnFn = (kind: MetricsWarningKind, offset: number, detail: string) => void;

interface TagMetadata {
  tag: string;
  /** The metadata bytes last seen for the tag (a view into the chunk being decoded). */
  metadata: Uint8Array;
  isScalar: boolean;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Classifies the values of one chunk's Events; one instance per chunk. */
export class ValueClassifier {
  readonly columns = new ScalarColumnsBuilder();
  private readonly metadataByTag = new Map<string, TagMetadata>();
  private lastTag: TagMetadata | undefined;
  /** Scratch for reading a float32 from bytes at any alignment without allocating. */
  private readonly scratch = new DataView(new ArrayBuffer(4));
  private readonly scratchBytes = new Uint8Array(this.scratch.buffer);

  private readonly codec: EventCodec;
  private readonly warn: WarnFn;

  constructor(codec: EventCodec, warn: WarnFn) {
    this.codec = codec;
    this.warn = warn;
  }

  /** Adds the candidate scalars of `event`, read from the record at [offset, end). */
  classify(event: EventMessage, offset: number, end: number): void {
    if (event.$unknowns) this.warnUnknown('Event', event.$unknowns, offset);
    const summary = event.summary;
    if (!summary) return;
    if (summary.$unknowns) this.warnUnknown('Summary', summary.$unknowns, offset);
    const step = int64ToNumber(event.step);
    for (const value of summary.value) {
      if (value.$unknowns) this.warnUnknown('Summary.Value', value.$unknowns, offset);
      if (value.simpleValue !== undefined) {
        this.columns.add(value.tag, ValueKind.Simple, step, value.simpleValue, event.wallTime, offset, end);
        continue;
      }
      const tensor = value.tensor;
      if (!tensor) continue; // Images, histograms, audio of TF1: not scalars.
      let kind: ValueKind = ValueKind.InheritTensor;
      if (value.metadata) {
        kind = this.isScalarTag(value.tag, value.metadata, offset)
          ? ValueKind.ScalarTensor
          : ValueKind.OtherTensor;
      }
      if (kind === ValueKind.OtherTensor) {
        this.columns.add(value.tag, kind, step, Number.NaN, event.wallTime, offset, end);
        continue;
      }
      const number = this.tensorNumber(tensor, offset);
      if (typeof number === 'number') {
        this.columns.add(value.tag, kind, step, number, event.wallTime, offset, end);
      } else {
        const index = this.columns.add(value.tag, kind, step, Number.NaN, event.wallTime, offset, end);
        this.columns.problem(index, number.problem);
      }
    }
  }

  /** The tensor's number, or why it holds none. */
  private tensorNumber(tensor: TensorMessage, offset: number): number | { problem: string } {
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
    return scalar.ok ? scalar.value : scalar;
  }

  /** Whether this value's metadata makes its tag a scalar one. */
  private isScalarTag(tag: string, metadata: Uint8Array, offset: number): boolean {
    const known = this.lastTag?.tag === tag ? this.lastTag : this.metadataByTag.get(tag);
    if (known && sameBytes(known.metadata, metadata)) {
      this.lastTag = known;
      return known.isScalar;
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
    const info = { tag, metadata, isScalar };
    this.metadataByTag.set(tag, info);
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
