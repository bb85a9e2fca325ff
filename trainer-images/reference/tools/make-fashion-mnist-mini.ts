/**
 * Builds the quickstart's dataset: the first 6,000 training and 1,000 test
 * images of Fashion-MNIST (Zalando, MIT license), average-pooled 2×2 from
 * 28×28 to 14×14 so a plain-TypeScript model trains on them in seconds.
 * Output keeps the original IDX format (http://yann.lecun.com/exdb/mnist/),
 * gzipped, so the loader is the one any MNIST reader would be.
 *
 * Usage: npx tsx trainer-images/reference/tools/make-fashion-mnist-mini.ts SRC_DIR OUT_DIR
 * SRC_DIR holds the four original `*-ubyte.gz` files (Debian: `dataset-fashion-mnist`,
 * /usr/share/datasets/fashion-mnist).
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

const TRAIN_COUNT = 6000;
const TEST_COUNT = 1000;
const SIDE = 28;
const POOL = 2;

function readIdx(path: string): Buffer {
  return gunzipSync(readFileSync(path));
}

function pooledImages(idx: Buffer, count: number): Buffer {
  // IDX3 header: magic 0x00000803, count, rows, cols (big-endian uint32 each).
  if (idx.readUInt32BE(0) !== 0x803) throw new Error('not an IDX3 image file');
  const out = SIDE / POOL;
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x803, 0);
  header.writeUInt32BE(count, 4);
  header.writeUInt32BE(out, 8);
  header.writeUInt32BE(out, 12);
  const pixels = Buffer.alloc(count * out * out);
  for (let n = 0; n < count; n++) {
    const src = 16 + n * SIDE * SIDE;
    for (let y = 0; y < out; y++) {
      for (let x = 0; x < out; x++) {
        let sum = 0;
        for (let dy = 0; dy < POOL; dy++)
          for (let dx = 0; dx < POOL; dx++) sum += idx[src + (y * POOL + dy) * SIDE + x * POOL + dx]!;
        pixels[n * out * out + y * out + x] = Math.round(sum / (POOL * POOL));
      }
    }
  }
  return Buffer.concat([header, pixels]);
}

function firstLabels(idx: Buffer, count: number): Buffer {
  if (idx.readUInt32BE(0) !== 0x801) throw new Error('not an IDX1 label file');
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x801, 0);
  header.writeUInt32BE(count, 4);
  return Buffer.concat([header, idx.subarray(8, 8 + count)]);
}

const [src, dst] = process.argv.slice(2);
if (!src || !dst) throw new Error('usage: make-fashion-mnist-mini.ts SRC_DIR OUT_DIR');
mkdirSync(dst, { recursive: true });
for (const [split, count] of [
  ['train', TRAIN_COUNT],
  ['t10k', TEST_COUNT],
] as const) {
  const images = pooledImages(readIdx(join(src, `${split}-images-idx3-ubyte.gz`)), count);
  const labels = firstLabels(readIdx(join(src, `${split}-labels-idx1-ubyte.gz`)), count);
  // mtime 0 in the gzip header keeps the output byte-identical across runs.
  writeFileSync(join(dst, `${split}-images-idx3-ubyte.gz`), gzipSync(images, { level: 9 }));
  writeFileSync(join(dst, `${split}-labels-idx1-ubyte.gz`), gzipSync(labels, { level: 9 }));
}
