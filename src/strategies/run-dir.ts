/**
 * The run dir: `model/`, `checkpoints/`, `logs/` under the job's output URI —
 * Vertex AI's `AIP_MODEL_DIR`, `AIP_CHECKPOINT_DIR` and
 * `AIP_TENSORBOARD_LOG_DIR` convention, used on every provider.
 * (https://cloud.google.com/vertex-ai/docs/training/code-requirements#environment-variables)
 */

import { fileURLToPath } from 'node:url';
import type { RunDirLayout } from './plan.ts';

export function runDirLayout(root: string): RunDirLayout {
  const base = root.replace(/\/+$/, '');
  return {
    root: base,
    model: `${base}/model/`,
    checkpoints: `${base}/checkpoints/`,
    logs: `${base}/logs/`,
  };
}

/**
 * TensorFlow reads `gs://` itself; local runs get plain paths, because not
 * every library on the trainer side understands `file://` URIs.
 */
export function defaultTrainerPath(uri: string): string {
  if (!uri.startsWith('file://')) return uri;
  const path = fileURLToPath(uri.startsWith('file:///') ? uri : `file:///${uri.slice('file://'.length)}`);
  return uri.endsWith('/') && !path.endsWith('/') ? `${path}/` : path;
}
