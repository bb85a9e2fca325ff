/** The reference trainer's parts: the model's gradients, the exchange's all-reduce, TF_CONFIG reading, checkpoints. */

import { describe, expect, it } from 'vitest';
import { allocatePorts } from '../../src/providers/local/ports.ts';
import { loadLatestCheckpoint, saveCheckpoint } from '../../trainer-images/reference/checkpoint.ts';
import { clusterFromEnv } from '../../trainer-images/reference/cluster.ts';
import { joinExchange, PeerLostError, serveExchange } from '../../trainer-images/reference/exchange.ts';
import { initialParameters, layout, runBatch } from '../../trainer-images/reference/model.ts';
import { openOutputDir } from '../../trainer-images/reference/outputs.ts';
import { tempDir } from '../support/local.ts';

describe('the MLP', () => {
  it('computes gradients that match finite differences', () => {
    const shape = { features: 5, hidden: 4, classes: 3 };
    const params = initialParameters(shape, 7);
    const x = Float32Array.from({ length: 10 }, (_, i) => ((i * 37) % 11) / 11);
    const y = Uint8Array.from([2, 0]);
    const grad = new Float64Array(layout(shape).size);
    runBatch(shape, params, x, y, [0, 1], grad);
    const loss = (p: Float64Array) => runBatch(shape, p, x, y, [0, 1]).lossSum;
    const h = 1e-6;
    for (const i of [0, 7, 19, layout(shape).w2 + 2, layout(shape).size - 1]) {
      const plus = params.slice();
      plus[i] = plus[i]! + h;
      const minus = params.slice();
      minus[i] = minus[i]! - h;
      expect(grad[i]).toBeCloseTo((loss(plus) - loss(minus)) / (2 * h), 5);
    }
  });
});

describe('the exchange', () => {
  it('sums one vector per task, the same result everywhere, step after step', async () => {
    const [port] = await allocatePorts(1);
    const address = `127.0.0.1:${port}`;
    const [root, one, two] = await Promise.all([
      serveExchange(address, 3, 10_000),
      joinExchange(address, 1, 3, 10_000),
      joinExchange(address, 2, 3, 10_000),
    ]);
    for (let step = 0; step < 3; step++) {
      const results = await Promise.all([
        root.allreduce(Float64Array.from([1, step])),
        one.allreduce(Float64Array.from([10, step])),
        two.allreduce(Float64Array.from([100, step])),
      ]);
      for (const result of results) expect([...result]).toEqual([111, 3 * step]);
    }
    two.close();
    await expect(root.allreduce(Float64Array.from([0]))).rejects.toBeInstanceOf(PeerLostError);
    one.close();
    root.close();
  });
});

describe('TF_CONFIG', () => {
  it('puts the chief first among the training tasks and serves the exchange at its address', () => {
    const env = {
      TF_CONFIG: JSON.stringify({
        cluster: { chief: ['c:1'], worker: ['w0:1', 'w1:1'] },
        task: { type: 'worker', index: 1 },
      }),
    };
    expect(clusterFromEnv(env)).toMatchObject({ rank: 2, size: 3, exchangeAddress: 'c:1', name: 'worker-1' });
    expect(clusterFromEnv({})).toMatchObject({ rank: 0, size: 1, exchangeAddress: undefined });
    const evaluator = {
      TF_CONFIG: JSON.stringify({ cluster: { worker: ['w0:1'] }, task: { type: 'evaluator', index: 0 } }),
    };
    expect(clusterFromEnv(evaluator).rank).toBe(-1);
  });
});

describe('checkpoints', () => {
  it('round-trip the whole training state; the latest wins; a different model is refused', async () => {
    const dir = tempDir('strato-ckpt-');
    const out = await openOutputDir(dir.path);
    expect(await loadLatestCheckpoint(out, 3)).toBeUndefined();
    const state = (step: number) => ({
      epoch: 1,
      stepInEpoch: step,
      globalStep: 10 + step,
      epochLossSum: 1.5,
      epochCorrect: 3,
      epochCount: 4,
      params: Float64Array.from([0.1, -0.2, 0.3]),
      velocity: Float64Array.from([0, 1e-9, -1]),
    });
    await saveCheckpoint(out, state(1));
    await saveCheckpoint(out, state(2));
    expect(await loadLatestCheckpoint(out, 3)).toEqual(state(2));
    await expect(loadLatestCheckpoint(out, 4)).rejects.toThrow(/was the model changed/);
    dir.remove();
  });
});
