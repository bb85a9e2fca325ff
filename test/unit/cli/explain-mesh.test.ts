/**
 * `strato explain` of a DTensor job says how the global batch is split as
 * the mesh splits it (issue 18, item 7): templates/tpu-dtensor-mesh.yaml has
 * 16 devices in a batch 4 × model 4 mesh, so the global batch is the
 * per-shard batch × 4 — it used to say "× 16", the device count.
 */

import { describe, expect, it } from 'vitest';
import { bufferIo } from '../../../src/cli/io.ts';
import { main } from '../../../src/cli/main.ts';

async function explain(file: string): Promise<string> {
  const io = bufferIo();
  expect(await main(['explain', file], io)).toBe(0);
  return io.stdout;
}

describe('explain and the global batch', () => {
  it('a DTensor mesh: data parallel along its batch axis only', async () => {
    const out = await explain('templates/tpu-dtensor-mesh.yaml');
    expect(out).toContain('Devices:  16, as a DTensor mesh batch 4 × model 4');
    expect(out).toContain('Data parallel: 4 (global batch = per-shard batch × 4');
    expect(out).not.toContain('× 16');
  });

  it('tf.distribute: every replica in sync takes a share', async () => {
    const out = await explain('templates/tpu-pod.yaml');
    expect(out).toMatch(/Replicas in sync: (\d+) \(global batch = per-replica batch × \1\)/);
  });
});
