/** The data the metrics reader produces. */

/** One scalar read from a TensorBoard event file. */
export interface MetricEvent {
  /** Sub-folder of the logs folder the file is in (`train`, `validation`, …); `''` at its top level. */
  run: string;
  /** Summary tag, e.g. `epoch_loss`. */
  tag: string;
  step: number;
  value: number;
  /** Seconds since the Unix epoch, as the trainer recorded it. */
  wallTime: number;
  /** Where the event came from: a local path, or an object URI such as `gs://bucket/…`. */
  file: string;
}

export type MetricsWarningKind =
  /** The file has no bytes yet (one-shot reads only; a follower waits). */
  | 'empty'
  /** The file ends inside a record (one-shot reads only; a follower waits for the rest). */
  | 'truncated'
  /** A record failed a CRC or length check; the rest of the file is skipped. */
  | 'corrupt'
  /** A record passed its CRCs but is not a valid Event message; that record is skipped. */
  | 'undecodable'
  /** An Event carries a protobuf field this reader does not know; the field is ignored. */
  | 'unknown-field'
  /** A scalar summary whose tensor is not a single number (string dtype, several elements…); skipped. */
  | 'not-a-number'
  /** The store failed to list or read; retried on the next poll. */
  | 'read-failed'
  /** The file shrank, so it was replaced; it is read again from the start. */
  | 'rewritten';

/** Something wrong with one event file. The reader reports each kind once per file and never throws for it. */
export interface MetricsWarning {
  kind: MetricsWarningKind;
  /** The file, as in `MetricEvent.file`. */
  file: string;
  /** Byte offset in the file where the problem is. */
  offset: number;
  /** A full sentence naming the file and the offset. */
  message: string;
}
