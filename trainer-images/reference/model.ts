/**
 * A small multi-layer perceptron — features → hidden (ReLU) → classes
 * (softmax) — with cross-entropy loss, in plain TypeScript. Parameters live
 * in one flat vector so gradients can be summed across workers in one
 * message and checkpoints are one array.
 */

import { createNormal, createRandom } from './random.ts';

export interface ModelShape {
  features: number;
  hidden: number;
  classes: number;
}

/** Offsets of W1 [hidden×features], b1 [hidden], W2 [classes×hidden], b2 [classes] in the flat vector. */
export function layout(shape: ModelShape) {
  const { features: d, hidden: h, classes: c } = shape;
  const w1 = 0;
  const b1 = w1 + h * d;
  const w2 = b1 + h;
  const b2 = w2 + c * h;
  return { w1, b1, w2, b2, size: b2 + c };
}

/** He-normal weights for the ReLU layer, Glorot-like for the output, zero biases; seeded. */
export function initialParameters(shape: ModelShape, seed: number): Float64Array {
  const at = layout(shape);
  const params = new Float64Array(at.size);
  const normal = createNormal(createRandom(seed));
  const s1 = Math.sqrt(2 / shape.features);
  for (let i = at.w1; i < at.b1; i++) params[i] = normal() * s1;
  const s2 = Math.sqrt(1 / shape.hidden);
  for (let i = at.w2; i < at.b2; i++) params[i] = normal() * s2;
  return params;
}

export interface BatchResult {
  lossSum: number;
  correct: number;
  count: number;
}

/**
 * Forward (and, when `grad` is given, backward) over examples `indices` of
 * `x`/`y`. Gradients are *summed* into `grad` (not averaged), so sums from
 * several workers add up to the gradient of their union.
 */
export function runBatch(
  shape: ModelShape,
  params: Float64Array,
  x: Float32Array,
  y: Uint8Array,
  indices: ArrayLike<number>,
  grad?: Float64Array,
): BatchResult {
  const { features: d, hidden: h, classes: c } = shape;
  const at = layout(shape);
  const hidden = new Float64Array(h);
  const probs = new Float64Array(c);
  const dHidden = new Float64Array(h);
  let lossSum = 0;
  let correct = 0;
  for (let n = 0; n < indices.length; n++) {
    const example = indices[n]!;
    const xo = example * d;
    for (let j = 0; j < h; j++) {
      let sum = params[at.b1 + j]!;
      const row = at.w1 + j * d;
      for (let i = 0; i < d; i++) sum += params[row + i]! * x[xo + i]!;
      hidden[j] = Math.max(sum, 0);
    }
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < c; k++) {
      let sum = params[at.b2 + k]!;
      const row = at.w2 + k * h;
      for (let j = 0; j < h; j++) sum += params[row + j]! * hidden[j]!;
      probs[k] = sum;
      if (sum > max) max = sum;
    }
    let best = 0;
    for (let k = 1; k < c; k++) if (probs[k]! > probs[best]!) best = k;
    let total = 0;
    for (let k = 0; k < c; k++) {
      probs[k] = Math.exp(probs[k]! - max);
      total += probs[k]!;
    }
    const label = y[example]!;
    for (let k = 0; k < c; k++) probs[k] = probs[k]! / total;
    lossSum -= Math.log(Math.max(probs[label]!, 1e-12));
    if (best === label) correct++;
    if (!grad) continue;
    // Softmax + cross-entropy: dL/dz = p - onehot(label).
    probs[label] = probs[label]! - 1;
    dHidden.fill(0);
    for (let k = 0; k < c; k++) {
      const dz = probs[k]!;
      grad[at.b2 + k] = grad[at.b2 + k]! + dz;
      const row = at.w2 + k * h;
      for (let j = 0; j < h; j++) {
        grad[row + j] = grad[row + j]! + dz * hidden[j]!;
        dHidden[j] = dHidden[j]! + dz * params[row + j]!;
      }
    }
    for (let j = 0; j < h; j++) {
      if (hidden[j]! <= 0) continue;
      const dh = dHidden[j]!;
      grad[at.b1 + j] = grad[at.b1 + j]! + dh;
      const row = at.w1 + j * d;
      for (let i = 0; i < d; i++) grad[row + i] = grad[row + i]! + dh * x[xo + i]!;
    }
  }
  return { lossSum, correct, count: indices.length };
}

/** SGD with momentum (Keras SGD(momentum=m): v = m·v − lr·g; w += v). */
export function applySgd(
  params: Float64Array,
  velocity: Float64Array,
  gradSum: Float64Array,
  count: number,
  learningRate: number,
  momentum: number,
): void {
  for (let i = 0; i < params.length; i++) {
    velocity[i] = momentum * velocity[i]! - (learningRate * gradSum[i]!) / count;
    params[i] = params[i]! + velocity[i]!;
  }
}
