/**
 * Synchronous data-parallel training, as MultiWorkerMirroredStrategy does
 * it: every training task holds the same model, trains each step on its own
 * shard of the batch, and applies the gradient summed over all tasks (an
 * all-reduce), so the weights stay identical everywhere. Rank 0 restores
 * and saves checkpoints, writes the TensorBoard logs and the model, and
 * hands its starting state to the others through the exchange.
 */

import { loadLatestCheckpoint, saveCheckpoint, type TrainingState } from './checkpoint.ts';
import type { ClusterRole } from './cluster.ts';
import type { TrainerConfig } from './config.ts';
import { type Dataset, loadIdxSplit } from './dataset.ts';
import { type Exchange, joinExchange, PeerLostError, serveExchange, soloExchange } from './exchange.ts';
import { applySgd, initialParameters, layout, type ModelShape, runBatch } from './model.ts';
import { openOutputDir } from './outputs.ts';
import { createRandom, permutation } from './random.ts';
import { type KerasLogs, openKerasLogs } from './tensorboard.ts';

export interface TrainResult {
  /** `completed`: all epochs done. `stopped`: told to stop (state saved by rank 0). `peer-lost`: another task vanished. */
  kind: 'completed' | 'stopped' | 'peer-lost';
  state: TrainingState;
  /** Validation metrics after the last complete epoch (rank 0). */
  validation?: { loss: number; accuracy: number };
}

export interface TrainOptions {
  /** Aborts when the process is told to stop (SIGTERM). */
  stop: AbortSignal;
  log(line: string): void;
}

/** Extra values sent with every step's gradient: loss sum, correct count, example count. */
const STATS = 3;
/** Fixed header of the state broadcast: epoch, stepInEpoch, globalStep, loss sum, correct, count. */
const STATE_HEADER = 6;

async function openExchange(role: ClusterRole, timeoutMs: number): Promise<Exchange> {
  if (role.size <= 1 || !role.exchangeAddress) return soloExchange();
  return role.rank === 0
    ? serveExchange(role.exchangeAddress, role.size, timeoutMs)
    : joinExchange(role.exchangeAddress, role.rank, role.size, timeoutMs);
}

/** Rank 0's starting state reaches every task: the others contribute zeros to one all-reduce. */
async function agreeOnStart(exchange: Exchange, state: TrainingState | undefined, size: number) {
  const vector = new Float64Array(STATE_HEADER + 2 * size);
  if (state) {
    vector.set([
      state.epoch,
      state.stepInEpoch,
      state.globalStep,
      state.epochLossSum,
      state.epochCorrect,
      state.epochCount,
    ]);
    vector.set(state.params, STATE_HEADER);
    vector.set(state.velocity, STATE_HEADER + size);
  }
  const agreed = await exchange.allreduce(vector);
  return {
    epoch: agreed[0]!,
    stepInEpoch: agreed[1]!,
    globalStep: agreed[2]!,
    epochLossSum: agreed[3]!,
    epochCorrect: agreed[4]!,
    epochCount: agreed[5]!,
    params: agreed.slice(STATE_HEADER, STATE_HEADER + size),
    velocity: agreed.slice(STATE_HEADER + size),
  } satisfies TrainingState;
}

function evaluate(shape: ModelShape, params: Float64Array, data: Dataset) {
  const indices = Array.from({ length: data.count }, (_, i) => i);
  const result = runBatch(shape, params, data.x, data.y, indices);
  return { loss: result.lossSum / result.count, accuracy: result.correct / result.count };
}

/** Waits for the all-reduce, or returns undefined as soon as `stop` aborts. */
function unlessStopped<T>(promise: Promise<T>, stop: AbortSignal): Promise<T | undefined> {
  if (stop.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    stop.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        stop.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        stop.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export async function train(
  config: TrainerConfig,
  role: ClusterRole,
  options: TrainOptions,
): Promise<TrainResult> {
  const { log, stop } = options;
  const chief = role.rank === 0;
  const trainData = await loadIdxSplit(config.dataDir, 'train', config.trainExamples);
  const testData = chief ? await loadIdxSplit(config.dataDir, 't10k') : undefined;
  const shape: ModelShape = {
    features: trainData.features,
    hidden: config.hidden,
    classes: trainData.classes,
  };
  const parameterCount = layout(shape).size;

  const checkpoints = chief && config.checkpointDir ? await openOutputDir(config.checkpointDir) : undefined;
  let restored: TrainingState | undefined;
  if (chief) {
    restored = checkpoints ? await loadLatestCheckpoint(checkpoints, parameterCount) : undefined;
    if (restored) {
      log(
        `restored ${checkpoints!.where('checkpoint')}: epoch ${restored.epoch + 1}, step ${restored.stepInEpoch}`,
      );
    }
  }
  const exchange = await openExchange(role, config.exchangeTimeoutMs);
  log(
    `${role.name}: rank ${role.rank} of ${role.size}, ${trainData.count} training examples, ${parameterCount} parameters`,
  );
  const start: TrainingState = restored ?? {
    epoch: 0,
    stepInEpoch: 0,
    globalStep: 0,
    epochLossSum: 0,
    epochCorrect: 0,
    epochCount: 0,
    params: initialParameters(shape, config.seed),
    velocity: new Float64Array(parameterCount),
  };
  const state = await agreeOnStart(exchange, chief ? start : undefined, parameterCount);
  const logs: KerasLogs | undefined = chief && config.logDir ? await openKerasLogs(config.logDir) : undefined;
  const saveNow = async (s: TrainingState) => {
    if (checkpoints) log(`saved checkpoint ${await saveCheckpoint(checkpoints, s)}`);
  };

  const stepsPerEpoch = Math.floor(trainData.count / (role.size * config.batchSize));
  if (stepsPerEpoch < 1)
    throw new Error(
      `too few examples (${trainData.count}) for batch ${config.batchSize} × ${role.size} tasks`,
    );
  const logEvery = Math.max(1, Math.floor(stepsPerEpoch / 4));
  const message = new Float64Array(parameterCount + STATS);
  let validation: TrainResult['validation'];
  let lastFlush = Date.now();

  const finish = async (kind: TrainResult['kind']): Promise<TrainResult> => {
    if (kind !== 'completed' && chief) await saveNow(state);
    if (kind === 'completed' && chief && config.modelDir) {
      const model = await openOutputDir(config.modelDir);
      const params = Buffer.from(state.params.buffer).toString('base64');
      await model.write(
        'model.json',
        JSON.stringify({ format: 'strato-reference-mlp/1', shape, params, validation }),
      );
      log(`saved model ${model.where('model.json')}`);
    }
    await logs?.close();
    exchange.close();
    return { kind, state, ...(validation ? { validation } : {}) };
  };

  try {
    for (; state.epoch < config.epochs; state.epoch++) {
      const started = Date.now();
      // Same permutation on every task (seeded by epoch); task r takes every size-th example.
      const order = permutation(trainData.count, createRandom(config.seed * 1_000_003 + state.epoch));
      const shard = order.filter((_, position) => position % role.size === role.rank);
      for (; state.stepInEpoch < stepsPerEpoch; state.stepInEpoch++) {
        if (stop.aborted) return await finish('stopped');
        const batch = shard.subarray(
          state.stepInEpoch * config.batchSize,
          (state.stepInEpoch + 1) * config.batchSize,
        );
        message.fill(0);
        const own = runBatch(shape, state.params, trainData.x, trainData.y, batch, message);
        message[parameterCount] = own.lossSum;
        message[parameterCount + 1] = own.correct;
        message[parameterCount + 2] = own.count;
        const sum = await unlessStopped(exchange.allreduce(message), stop);
        if (!sum) return await finish('stopped');
        const count = sum[parameterCount + 2]!;
        applySgd(state.params, state.velocity, sum, count, config.learningRate, config.momentum);
        state.epochLossSum += sum[parameterCount]!;
        state.epochCorrect += sum[parameterCount + 1]!;
        state.epochCount += count;
        state.globalStep++;
        if (logs) {
          logs.train.addScalar('batch_loss', sum[parameterCount]! / count, state.globalStep);
          // Keep live followers fed between epochs without a write per step.
          if (Date.now() - lastFlush > 1000) {
            lastFlush = Date.now();
            await logs.flush();
          }
        }
        if (chief && (state.stepInEpoch + 1) % logEvery === 0) {
          log(
            `epoch ${state.epoch + 1}/${config.epochs} step ${state.stepInEpoch + 1}/${stepsPerEpoch} ` +
              `loss ${(state.epochLossSum / state.epochCount).toFixed(4)} accuracy ${(state.epochCorrect / state.epochCount).toFixed(4)}`,
          );
        }
        if (config.stepDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.stepDelayMs));
      }
      const trainLoss = state.epochLossSum / state.epochCount;
      const trainAccuracy = state.epochCorrect / state.epochCount;
      if (chief && testData) {
        validation = evaluate(shape, state.params, testData);
        logs?.train.addScalar('epoch_loss', trainLoss, state.epoch);
        logs?.train.addScalar('epoch_accuracy', trainAccuracy, state.epoch);
        logs?.validation.addScalar('epoch_loss', validation.loss, state.epoch);
        logs?.validation.addScalar('epoch_accuracy', validation.accuracy, state.epoch);
        await logs?.flush();
        lastFlush = Date.now();
        log(
          `epoch ${state.epoch + 1}/${config.epochs}: loss ${trainLoss.toFixed(4)} accuracy ${trainAccuracy.toFixed(4)} ` +
            `val_loss ${validation.loss.toFixed(4)} val_accuracy ${validation.accuracy.toFixed(4)} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
        );
      }
      // The epoch is complete: the next one starts from scratch (BackupAndRestore's unit).
      Object.assign(state, { stepInEpoch: 0, epochLossSum: 0, epochCorrect: 0, epochCount: 0 });
      if (chief) await saveNow({ ...state, epoch: state.epoch + 1 });
    }
  } catch (error) {
    if (error instanceof PeerLostError) {
      log(`${role.name}: ${error.message}`);
      return await finish('peer-lost');
    }
    throw error;
  }
  return await finish('completed');
}
