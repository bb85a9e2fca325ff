/**
 * The sizes of TFRecord framing (tensorflow/core/lib/io/record_writer.h), on
 * their own so that code which only decodes checked records (the decode
 * workers) does not load the CRC library.
 */

/** u64 length + u32 masked CRC of the length. */
export const RECORD_HEADER_BYTES = 12;
/** u32 masked CRC of the data. */
export const RECORD_FOOTER_BYTES = 4;
/** Bytes of framing around the data of every record. */
export const RECORD_OVERHEAD_BYTES = RECORD_HEADER_BYTES + RECORD_FOOTER_BYTES;
