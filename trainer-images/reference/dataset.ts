/**
 * MNIST-format datasets (IDX files, gzipped or not): images as float
 * features in [0, 1], labels as class ids. The quickstart ships a
 * Fashion-MNIST subset in this format (templates/quickstart-data/).
 * `DATA_DIR` is a plain path locally and a `gs://` URI on the cloud (Strato
 * stages the data there), so both are read.
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface Dataset {
  /** `count × features`, row-major. */
  x: Float32Array;
  y: Uint8Array;
  count: number;
  features: number;
  classes: number;
}

/** IDX magic numbers: 0x00000803 = unsigned bytes, 3 dimensions; 0x00000801 = 1 dimension. */
const IDX3_UBYTE = 0x803;
const IDX1_UBYTE = 0x801;

const isUri = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//.test(s);

/** A reader of files in a folder or under an object-store prefix; undefined when a file is absent. */
type FileReader = (name: string) => Promise<Buffer | undefined>;

async function openDataDir(location: string): Promise<FileReader> {
  if (!isUri(location)) {
    return async (name) => {
      try {
        return await readFile(join(location, name));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    };
  }
  const { openObjectStore } = await import('../../src/storage/open.ts');
  const { store, key } = await openObjectStore(location);
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  return async (name) => ((await store.stat(prefix + name)) ? store.read(prefix + name) : undefined);
}

async function readIdx(dir: string, read: FileReader, name: string): Promise<Buffer> {
  const gz = await read(`${name}.gz`);
  if (gz) return gunzipSync(gz);
  const plain = await read(name);
  if (plain) return plain;
  throw new Error(`dataset file ${name}(.gz) not found in ${dir}`);
}

/** Loads `<split>-images-idx3-ubyte` and `<split>-labels-idx1-ubyte` (split: train or t10k). */
export async function loadIdxSplit(
  dir: string,
  split: 'train' | 't10k',
  limit = Number.POSITIVE_INFINITY,
): Promise<Dataset> {
  const read = await openDataDir(dir);
  const images = await readIdx(dir, read, `${split}-images-idx3-ubyte`);
  const labels = await readIdx(dir, read, `${split}-labels-idx1-ubyte`);
  if (images.readUInt32BE(0) !== IDX3_UBYTE) throw new Error(`${split} images: not an IDX3 ubyte file`);
  if (labels.readUInt32BE(0) !== IDX1_UBYTE) throw new Error(`${split} labels: not an IDX1 ubyte file`);
  const total = images.readUInt32BE(4);
  if (labels.readUInt32BE(4) !== total)
    throw new Error(`${split}: ${total} images but a different label count`);
  const features = images.readUInt32BE(8) * images.readUInt32BE(12);
  const count = Math.min(total, limit);
  const x = new Float32Array(count * features);
  for (let i = 0; i < count * features; i++) x[i] = images[16 + i]! / 255;
  const y = new Uint8Array(labels.subarray(8, 8 + count));
  const classes = Math.max(...y) + 1;
  return { x, y, count, features, classes };
}
