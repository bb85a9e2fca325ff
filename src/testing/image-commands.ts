/**
 * What the fakes run for a container that has no `command` (the fake
 * Vertex's worker pools, the fake VMs' `docker` shim): a real image would
 * run its ENTRYPOINT, the fakes run no containers, so they look the
 * image up in a table — image → the command standing in for its entrypoint
 * (the pool's `args` follow it, as they follow an ENTRYPOINT). A key may end
 * in `*` to match any tag or suffix (`us-docker.pkg.dev/p/r/trainer:*`).
 *
 * Strato's own trainer images (`…/strato/tensorflow-gpu|tpu|cpu:TAG`, built
 * from trainer-images/) are in the table by default: their entrypoint is the
 * MNIST example on the trainer helper (`python3 examples/mnist/train.py`,
 * the Dockerfiles' ENTRYPOINT), run here from the repository's
 * trainer-images/ with the TensorFlow venv of `test/setup/ensure-tensorflow.sh`
 * (`.venv-tf/`, or `$STRATO_TF_VENV`) when there is one. The fake has no network to download MNIST from, so
 * without `$DATA_DIR` the example trains on `--synthetic` images.
 */

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Image (or `prefix*`) → command. */
export type ImageCommands = Record<string, string[]>;

/** The repository root seen from this file (src/ or dist/ testing/). */
const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** Strato's trainer images, whatever registry, project and tag they were pushed to. */
const STRATO_TRAINER_IMAGES = [
  '*/strato/tensorflow-gpu:*',
  '*/strato/tensorflow-tpu:*',
  '*/strato/tensorflow-cpu:*',
];

/** The trainer images' entrypoint, on this machine. */
export function trainerHelperCommand(root = REPO_ROOT): string[] {
  const helper = join(root, 'trainer-images');
  // The venv the real-TensorFlow tests use: $STRATO_TF_VENV when set, as test/support/tensorflow.ts reads it.
  const venv = process.env.STRATO_TF_VENV ?? join(root, '.venv-tf');
  const venvPython = join(venv, 'bin', 'python');
  const python = existsSync(venvPython) ? venvPython : 'python3';
  // `sh -c` only to add --synthetic when no DATA_DIR is given; the helper and python come in as $1 and
  // $2 (no quoting of paths into the script), and "$@" then carries the pool's args unchanged.
  const script = [
    'helper="$1"; python="$2"; shift 2',
    'if [ -z "$DATA_DIR" ]; then set -- --synthetic "$@"; fi',
    'if [ -n "$PYTHONPATH" ]; then PYTHONPATH="$helper:$PYTHONPATH"; else PYTHONPATH="$helper"; fi',
    'export PYTHONPATH',
    'exec "$python" "$helper/examples/mnist/train.py" "$@"',
  ].join('; ');
  return ['sh', '-c', script, 'strato-trainer', helper, python];
}

/** The default table, extended (and overridden) by the user's. */
export function imageCommandTable(extra: ImageCommands = {}): ImageCommands {
  const trainer = trainerHelperCommand();
  return { ...Object.fromEntries(STRATO_TRAINER_IMAGES.map((image) => [image, trainer])), ...extra };
}

function matches(key: string, image: string): boolean {
  if (!key.includes('*')) return key === image;
  const pattern = key
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(image);
}

/** The command for an image: an exact key first, else the longest matching pattern. */
export function findImageCommand(table: ImageCommands, image: string): string[] | undefined {
  if (table[image]) return table[image];
  const keys = Object.keys(table)
    .filter((key) => key.includes('*') && matches(key, image))
    .sort((a, b) => b.length - a.length);
  return keys[0] ? table[keys[0]] : undefined;
}

/**
 * `IMAGE=COMMAND` as `strato fake-cloud --image` takes it: the command split
 * on spaces (quote nothing; use a script for anything more).
 */
export function parseImageCommand(text: string): [string, string[]] | undefined {
  const at = text.indexOf('=');
  if (at <= 0) return undefined;
  const command = text
    .slice(at + 1)
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  return command.length > 0 ? [text.slice(0, at).trim(), command] : undefined;
}
