/**
 * The benchmark dataset from issue 5: many small files (4–64 KiB, spread over
 * 100 folders) and a few large ones. Contents are random (incompressible);
 * sizes come from a seeded generator so every run has the same shape.
 */

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mulberry32 } from '../../src/testing/fake-gcs/faults.ts';

const KIB = 1024;
const MIB = 1024 * KIB;

export interface DatasetShape {
  smallFiles: number;
  largeFiles: number;
  largeBytes: number;
}

export interface Dataset {
  smallDir: string;
  largeDir: string;
  smallBytes: number;
  largeBytes: number;
}

export async function createDataset(root: string, shape: DatasetShape): Promise<Dataset> {
  const smallDir = join(root, 'small');
  const largeDir = join(root, 'large');
  const folders = 100;
  for (let f = 0; f < folders; f++)
    mkdirSync(join(smallDir, `part-${String(f).padStart(3, '0')}`), { recursive: true });
  mkdirSync(largeDir, { recursive: true });
  const next = mulberry32(5);
  let smallBytes = 0;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < shape.smallFiles; i++) {
    const size = 4 * KIB + Math.floor(next() * 60 * KIB);
    smallBytes += size;
    const path = join(smallDir, `part-${String(i % folders).padStart(3, '0')}`, `sample-${i}.bin`);
    pending.push(writeFile(path, randomBytes(size)));
    if (pending.length >= 64) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  for (let i = 0; i < shape.largeFiles; i++) {
    const out = createWriteStream(join(largeDir, `shard-${i}.bin`));
    for (let written = 0; written < shape.largeBytes; written += 4 * MIB) {
      if (!out.write(randomBytes(Math.min(4 * MIB, shape.largeBytes - written)))) await once(out, 'drain');
    }
    out.end();
    await once(out, 'close');
  }
  return { smallDir, largeDir, smallBytes, largeBytes: shape.largeFiles * shape.largeBytes };
}
