/**
 * The benchmark dataset from issue 5: many small files (4–64 KiB, spread over
 * 100 folders) and a few large ones. Contents are random (incompressible);
 * sizes come from a seeded generator so every run has the same shape.
 */

import { spawnSync } from 'node:child_process';
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
  /** Smaller files on the resumable path: uploaded, unmeasured, before the large files. */
  warmupDir: string;
  smallBytes: number;
  largeBytes: number;
}

export async function createDataset(root: string, shape: DatasetShape): Promise<Dataset> {
  const smallDir = join(root, 'small');
  const largeDir = join(root, 'large');
  const warmupDir = join(root, 'warmup');
  const folders = 100;
  for (let f = 0; f < folders; f++)
    mkdirSync(join(smallDir, `part-${String(f).padStart(3, '0')}`), { recursive: true });
  mkdirSync(largeDir, { recursive: true });
  mkdirSync(warmupDir, { recursive: true });
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
  for (let i = 0; i < shape.largeFiles; i++)
    await writeRandomFile(join(largeDir, `shard-${i}.bin`), shape.largeBytes);
  // As many files as the large set (as many uploads at once), each past one 16 MiB chunk (the
  // resumable chunk size of both tools): every part of that path runs before the measured run.
  for (let i = 0; i < shape.largeFiles; i++)
    await writeRandomFile(join(warmupDir, `warmup-${i}.bin`), WARMUP_BYTES);
  // Written back now, so the kernel's delayed writeback (~30 s later: vm.dirty_expire_centisecs)
  // does not compete for the disk with whichever run is being measured by then.
  spawnSync('sync');
  return { smallDir, largeDir, warmupDir, smallBytes, largeBytes: shape.largeFiles * shape.largeBytes };
}

const WARMUP_BYTES = 20 * MIB;

async function writeRandomFile(path: string, size: number): Promise<void> {
  const out = createWriteStream(path);
  for (let written = 0; written < size; written += 4 * MIB) {
    if (!out.write(randomBytes(Math.min(4 * MIB, size - written)))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
}
