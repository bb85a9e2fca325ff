/**
 * The masked CRC32C of TFRecord framing.
 *
 * TFRecord stores CRCs "masked" so that a CRC computed over data that itself
 * contains CRCs does not degenerate: rotate right by 15 bits, then add a
 * constant. Source: tensorflow/core/lib/hash/crc32c.h (`Mask`, `kMaskDelta`).
 */

import { crc32c } from '@node-rs/crc32';

/** `kMaskDelta` in tensorflow/core/lib/hash/crc32c.h. */
const MASK_DELTA = 0xa282ead8;

/** Masks a CRC32C value as TFRecord stores it: `((c >>> 15) | (c << 17)) + 0xa282ead8`, mod 2³². */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/** The inverse of `maskCrc`. */
export function unmaskCrc(masked: number): number {
  const rotated = (masked - MASK_DELTA) >>> 0;
  return ((rotated >>> 17) | (rotated << 15)) >>> 0;
}

/** Masked CRC32C (Castagnoli, computed natively by @node-rs/crc32) of `bytes`. */
export function maskedCrc32c(bytes: Uint8Array): number {
  return maskCrc(crc32c(bytes));
}
