/**
 * Checkpoints with Keras BackupAndRestore semantics: one after every epoch
 * (training resumes at the epoch after the last complete one), plus one at
 * the current step when the trainer is told to stop (SIGTERM), as TF's
 * PreemptionCheckpointHandler does, from which training resumes at that
 * step. `checkpoint` names the latest, like TF's `checkpoint` state file,
 * and is written after the data it points to.
 */

import type { OutputDir } from './outputs.ts';

export interface TrainingState {
  /** The epoch in progress (0-based); `epochs` when training is complete. */
  epoch: number;
  /** Steps of `epoch` already done. */
  stepInEpoch: number;
  globalStep: number;
  /** Sums over the steps of `epoch` done so far. */
  epochLossSum: number;
  epochCorrect: number;
  epochCount: number;
  params: Float64Array;
  velocity: Float64Array;
}

interface CheckpointFile {
  format: 'strato-reference-checkpoint/1';
  epoch: number;
  stepInEpoch: number;
  globalStep: number;
  epochLossSum: number;
  epochCorrect: number;
  epochCount: number;
  /** float64 little-endian, base64. */
  params: string;
  velocity: string;
}

const INDEX = 'checkpoint';

const encode = (v: Float64Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
function decode(text: string): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  const out = new Float64Array(bytes.length / 8);
  Buffer.from(out.buffer).set(bytes);
  return out;
}

export async function saveCheckpoint(dir: OutputDir, state: TrainingState): Promise<string> {
  const name = `ckpt-${state.globalStep}.json`;
  const file: CheckpointFile = {
    format: 'strato-reference-checkpoint/1',
    epoch: state.epoch,
    stepInEpoch: state.stepInEpoch,
    globalStep: state.globalStep,
    epochLossSum: state.epochLossSum,
    epochCorrect: state.epochCorrect,
    epochCount: state.epochCount,
    params: encode(state.params),
    velocity: encode(state.velocity),
  };
  await dir.write(name, JSON.stringify(file));
  await dir.write(INDEX, JSON.stringify({ latest: name }));
  return dir.where(name);
}

/** The latest checkpoint, or undefined when there is none. Throws when it does not fit the model. */
export async function loadLatestCheckpoint(
  dir: OutputDir,
  parameterCount: number,
): Promise<TrainingState | undefined> {
  const index = await dir.read(INDEX);
  if (!index) return undefined;
  const { latest } = JSON.parse(index.toString('utf8')) as { latest: string };
  const data = await dir.read(latest);
  if (!data) throw new Error(`${dir.where(INDEX)} names ${latest}, which does not exist`);
  const file = JSON.parse(data.toString('utf8')) as CheckpointFile;
  const params = decode(file.params);
  if (params.length !== parameterCount) {
    throw new Error(
      `${dir.where(latest)} has ${params.length} parameters, the model ${parameterCount}: was the model changed? Use a new output dir.`,
    );
  }
  return {
    epoch: file.epoch,
    stepInEpoch: file.stepInEpoch,
    globalStep: file.globalStep,
    epochLossSum: file.epochLossSum,
    epochCorrect: file.epochCorrect,
    epochCount: file.epochCount,
    params,
    velocity: decode(file.velocity),
  };
}
