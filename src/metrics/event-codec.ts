/**
 * Encodes and decodes TensorFlow `Event` messages with protobufjs reflection
 * over `proto/event.proto`.
 *
 * Decoded messages are instances of the classes below, registered as the
 * types' constructors (protobufjs's `Type#ctor`; extending `Message` is what
 * protobufjs expects of one). They give the reader typed fields with the
 * defaults it relies on: an absent `simple_value` reads as `undefined` rather
 * than proto2's default 0, and every message of a type starts with the same
 * shape. Repeated fields start as a shared frozen empty array: the generated
 * decoder replaces an empty array before its first push.
 */

import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

type Long = protobuf.Long;

const NONE: readonly never[] = Object.freeze([]);
const NO_BYTES = new Uint8Array(0);

/** Raw bytes of fields the decoder did not know, when there were any. */
interface MayHaveUnknowns {
  $unknowns?: Uint8Array[];
}

export class PluginDataMessage extends protobuf.Message implements MayHaveUnknowns {
  declare $unknowns?: Uint8Array[];
  pluginName = '';
}

export class SummaryMetadataMessage extends protobuf.Message implements MayHaveUnknowns {
  declare $unknowns?: Uint8Array[];
  pluginData: PluginDataMessage | null = null;
  /** DataClass enum of summary.proto. */
  dataClass = 0;
}

export class DimMessage extends protobuf.Message {
  size: Long | number = 0;
}

export class TensorShapeMessage extends protobuf.Message {
  dim: readonly DimMessage[] = NONE;
}

export class TensorMessage extends protobuf.Message implements MayHaveUnknowns {
  declare $unknowns?: Uint8Array[];
  /** DataType enum of types.proto. */
  dtype = 0;
  tensorShape: TensorShapeMessage | null = null;
  tensorContent: Uint8Array = NO_BYTES;
  // The typed value lists are rare in event files (TF2 writes tensor_content):
  // until the decoder sets one, the prototype's frozen empty array stands in,
  // which keeps the common message small.
  declare readonly halfVal: readonly number[];
  declare readonly floatVal: readonly number[];
  declare readonly doubleVal: readonly number[];
  declare readonly intVal: readonly number[];
  declare readonly int64Val: readonly (Long | number)[];
  declare readonly uint32Val: readonly number[];
  declare readonly uint64Val: readonly (Long | number)[];
  declare readonly boolVal: readonly boolean[];
}

export class ValueMessage extends protobuf.Message implements MayHaveUnknowns {
  declare $unknowns?: Uint8Array[];
  tag = '';
  /** An encoded SummaryMetadata (see `decodeMetadata`). */
  metadata: Uint8Array | null = null;
  /** Set only when the value is a TF1 `simple_value`. */
  simpleValue: number | undefined = undefined;
  tensor: TensorMessage | null = null;
}

export class SummaryMessage extends protobuf.Message implements MayHaveUnknowns {
  declare $unknowns?: Uint8Array[];
  value: readonly ValueMessage[] = NONE;
}

export class EventMessage extends protobuf.Message implements MayHaveUnknowns {
  declare $unknowns?: Uint8Array[];
  wallTime = 0;
  step: Long | number = 0;
  fileVersion: string | undefined = undefined;
  summary: SummaryMessage | null = null;
}

/** What `encode` accepts: plain objects in protobufjs's camelCase field names. */
export interface EventInit {
  wallTime: number;
  step?: number;
  fileVersion?: string;
  /** An encoded GraphDef (other event kinds are skipped by the reader). */
  graphDef?: Uint8Array;
  summary?: {
    value: {
      tag: string;
      simpleValue?: number;
      /** An encoded SummaryMetadata (see `encodeMetadata`). */
      metadata?: Uint8Array;
      tensor?: {
        dtype: number;
        tensorShape?: { dim?: { size: number }[] };
        tensorContent?: Uint8Array;
        halfVal?: number[];
        floatVal?: number[];
        doubleVal?: number[];
        intVal?: number[];
        int64Val?: number[];
        stringVal?: Uint8Array[];
      };
    }[];
  };
}

export interface EventCodec {
  /** Decodes the Event between `reader.pos` and `reader.len`. Throws on malformed protobuf. */
  decode(reader: protobuf.Reader): EventMessage;
  /** Decodes a `Summary.Value`'s metadata bytes. Throws on malformed protobuf. */
  decodeMetadata(bytes: Uint8Array): SummaryMetadataMessage;
  encode(event: EventInit): Uint8Array;
}

const MESSAGE_CLASSES: ReadonlyArray<readonly [string, protobuf.Constructor<protobuf.Message>]> = [
  ['tensorflow.Event', EventMessage],
  ['tensorflow.Summary', SummaryMessage],
  ['tensorflow.Summary.Value', ValueMessage],
  ['tensorflow.SummaryMetadata', SummaryMetadataMessage],
  ['tensorflow.SummaryMetadata.PluginData', PluginDataMessage],
  ['tensorflow.TensorProto', TensorMessage],
  ['tensorflow.TensorShapeProto', TensorShapeMessage],
  ['tensorflow.TensorShapeProto.Dim', DimMessage],
];

/** What `encodeMetadata` accepts. */
export interface SummaryMetadataInit {
  pluginData?: { pluginName: string; content?: Uint8Array };
  dataClass?: number;
}

let cachedRoot: protobuf.Root | undefined;

/**
 * The parsed schema, once per process: it is immutable data (like a compiled
 * regular expression), not a client with state.
 */
function schema(): protobuf.Root {
  if (!cachedRoot) {
    const source = readFileSync(new URL('./proto/event.proto', import.meta.url), 'utf8');
    const { root } = protobuf.parse(source);
    for (const [name, ctor] of MESSAGE_CLASSES) root.lookupType(name).ctor = ctor;
    cachedRoot = root;
  }
  return cachedRoot;
}

export function createEventCodec(): EventCodec {
  const event = schema().lookupType('tensorflow.Event');
  const metadata = schema().lookupType('tensorflow.SummaryMetadata');
  return {
    decode: (reader) => event.decode(reader) as unknown as EventMessage,
    decodeMetadata: (bytes) => {
      const reader = createEventReader(bytes);
      return metadata.decode(reader) as unknown as SummaryMetadataMessage;
    },
    encode: (init) => event.encode(init).finish(),
  };
}

/** Encodes a SummaryMetadata, for `EventInit`'s `metadata`. */
export function encodeMetadata(init: SummaryMetadataInit): Uint8Array {
  return schema().lookupType('tensorflow.SummaryMetadata').encode(init).finish();
}

/**
 * A reader over `buf` that keeps unknown fields (in `$unknowns`), so they can
 * be reported. Set `pos` and `len` to decode one record of the buffer without
 * copying it.
 *
 * It is protobufjs's plain `Reader` over a Uint8Array view, not the
 * `BufferReader` it picks for a Buffer: for the short tags and payloads of
 * scalar events its JavaScript UTF-8 decoding and `subarray` beat Buffer's
 * native `utf8Slice` and `slice` (about 20% of decoding time). Bytes fields
 * are therefore Uint8Array views into `buf`.
 */
export function createEventReader(buf: Uint8Array): protobuf.Reader {
  const view = Buffer.isBuffer(buf) ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : buf;
  const reader = new protobuf.Reader(view);
  reader.discardUnknown = false;
  return reader;
}

/** Field number of the first field in a raw unknown-field chunk from `$unknowns`. */
export function unknownFieldNumber(raw: Uint8Array): number {
  return protobuf.Reader.create(raw).uint32() >>> 3;
}

/**
 * An int64 from protobufjs (a Long, or a number where Long is absent) as a JS
 * number; exact below 2⁵³, far past any training step.
 */
export function int64ToNumber(value: Long | number): number {
  if (typeof value === 'number') return value;
  const high = value.unsigned ? value.high >>> 0 : value.high;
  return high * 2 ** 32 + (value.low >>> 0);
}
