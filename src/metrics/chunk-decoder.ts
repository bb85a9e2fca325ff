/**
 * Decodes a run of TFRecords whose framing and CRCs were already checked:
 * protobuf decoding and the first, stateless step of scalar extraction. The
 * same function runs inline and in decode workers (`decode-pool.ts`), so
 * both paths give the same columns and the same warnings.
 */

import { createEventReader, type EventCodec, type EventMessage } from './event-codec.ts';
import type { ScalarColumns } from './scalar-columns.ts';
import { RECORD_FOOTER_BYTES, RECORD_HEADER_BYTES } from './tfrecord-layout.ts';
import type { MetricsWarningKind } from './types.ts';
import { ValueClassifier } from './value-classifier.ts';

export interface DecodeRequest {
  /** The bytes holding the records. */
  bytes: Uint8Array;
  /** `[dataStart, dataEnd)` of each record's data, as pairs of indexes into `bytes`. */
  bounds: Uint32Array;
  /** File offset of `bytes[0]`. */
  base: number;
}

export interface ChunkWarning {
  kind: MetricsWarningKind;
  offset: number;
  detail: string;
}

export interface DecodedChunk {
  columns: ScalarColumns;
  /** The first warning of each kind, in file order. */
  warnings: ChunkWarning[];
}

export function decodeChunk(codec: EventCodec, request: DecodeRequest): DecodedChunk {
  const warnings: ChunkWarning[] = [];
  const warned = new Set<MetricsWarningKind>();
  const warn = (kind: MetricsWarningKind, offset: number, detail: string) => {
    if (warned.has(kind)) return;
    warned.add(kind);
    warnings.push({ kind, offset, detail });
  };
  const classifier = new ValueClassifier(codec, warn);
  const reader = createEventReader(request.bytes);
  const { bounds, base } = request;
  for (let i = 0; i + 1 < bounds.length; i += 2) {
    const start = bounds[i]!;
    const end = bounds[i + 1]!;
    const offset = base + start - RECORD_HEADER_BYTES;
    reader.pos = start;
    reader.len = end;
    let event: EventMessage;
    try {
      event = codec.decode(reader);
    } catch (error) {
      warn('undecodable', offset, `record is not a tensorflow.Event (${(error as Error).message}); skipped`);
      continue;
    }
    classifier.classify(event, offset, base + end + RECORD_FOOTER_BYTES);
  }
  return { columns: classifier.columns.finish(), warnings };
}
