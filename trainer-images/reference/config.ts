/** Command-line flags and environment of the reference trainer. */

import { parseArgs } from 'node:util';

export interface TrainerConfig {
  epochs: number;
  /** Examples per worker per step (Keras: global batch = this × workers). */
  batchSize: number;
  learningRate: number;
  momentum: number;
  hidden: number;
  seed: number;
  /** Use only the first N training examples (quick tests). */
  trainExamples: number;
  dataDir: string;
  checkpointDir: string | undefined;
  modelDir: string | undefined;
  logDir: string | undefined;
  /** How long tasks wait for each other to join the exchange. */
  exchangeTimeoutMs: number;
  /** Pause after every step (tests use it to interrupt a run mid-way). */
  stepDelayMs: number;
}

export const USAGE = `reference trainer: data-parallel MLP on an MNIST-format dataset
  --epochs N (5)  --batch-size N per worker (32)  --learning-rate X (0.05)  --momentum X (0.9)
  --hidden N (64)  --seed N (1)  --train-examples N (all)  --data-dir DIR ($DATA_DIR)
  --exchange-timeout-sec N (60)  --step-delay-ms N (0)
Writes to $AIP_CHECKPOINT_DIR, $AIP_MODEL_DIR, $AIP_TENSORBOARD_LOG_DIR; cluster from $TF_CONFIG.`;

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): TrainerConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      'learning-rate': { type: 'string' },
      momentum: { type: 'string' },
      hidden: { type: 'string' },
      seed: { type: 'string' },
      'train-examples': { type: 'string' },
      'data-dir': { type: 'string' },
      'exchange-timeout-sec': { type: 'string' },
      'step-delay-ms': { type: 'string' },
    },
    strict: true,
  });
  const num = (name: keyof typeof values, fallback: number) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new Error(`--${name} must be a number; got ${raw}\n${USAGE}`);
    return value;
  };
  const dataDir = values['data-dir'] ?? env.DATA_DIR;
  if (!dataDir) throw new Error(`no dataset: set DATA_DIR or --data-dir\n${USAGE}`);
  return {
    epochs: num('epochs', 5),
    batchSize: num('batch-size', 32),
    learningRate: num('learning-rate', 0.05),
    momentum: num('momentum', 0.9),
    hidden: num('hidden', 64),
    seed: num('seed', 1),
    trainExamples: num('train-examples', Number.POSITIVE_INFINITY),
    dataDir,
    checkpointDir: env.AIP_CHECKPOINT_DIR || undefined,
    modelDir: env.AIP_MODEL_DIR || undefined,
    logDir: env.AIP_TENSORBOARD_LOG_DIR || undefined,
    exchangeTimeoutMs: num('exchange-timeout-sec', 60) * 1000,
    stepDelayMs: num('step-delay-ms', 0),
  };
}
