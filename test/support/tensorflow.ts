/**
 * Where the real-TensorFlow tests find TensorFlow: the project-local venv that
 * `test/setup/ensure-tensorflow.sh` makes before `npm test` (`.venv-tf/`, or
 * `$STRATO_TF_VENV`). Templates run `python3` from PATH, so a test puts the
 * venv's `bin/` first on PATH. No venv is a failure that says how to make one,
 * never a silent skip.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import type { JobSpecInput } from '../../src/spec/schema.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

export interface TensorflowVenv {
  /** The venv's folder. */
  root: string;
  /** Its Python, with tensorflow-cpu 2.21 and tensorboard 2.21. */
  python: string;
  /** `env` with the venv's bin/ first on PATH (and any extra variables). */
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
}

export function getTensorflowVenv(base: NodeJS.ProcessEnv = process.env): TensorflowVenv {
  const root = base.STRATO_TF_VENV ?? join(REPO_ROOT, '.venv-tf');
  const python = join(root, 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(
      `no TensorFlow venv at ${root}: run \`bash test/setup/ensure-tensorflow.sh\` ` +
        '(`npm test` runs it first; it installs tensorflow-cpu==2.21.0 and tensorboard==2.21.0)',
    );
  }
  return {
    root,
    python,
    env: (extra = {}) => ({
      ...base,
      PATH: `${join(root, 'bin')}:${base.PATH ?? ''}`,
      // TensorFlow's C++ INFO lines would bury the job's own log.
      TF_CPP_MIN_LOG_LEVEL: '2',
      ...extra,
    }),
  };
}

/**
 * A copy of `templates/<name>` in `dir` that runs from the repository wherever
 * it lies, with `args` in place of the template's (tests train fewer steps) and
 * `edit` for anything else.
 */
export function templateCopy(
  name: string,
  dir: string,
  options: { args?: string[]; edit?: (spec: JobSpecInput) => void } = {},
): string {
  const spec = parse(readFileSync(join(REPO_ROOT, 'templates', name), 'utf8'));
  spec.container.workingDir = REPO_ROOT;
  if (options.args) spec.container.args = options.args;
  for (const data of spec.data ?? []) data.source = resolve(REPO_ROOT, 'templates', data.source);
  options.edit?.(spec);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, stringify(spec));
  return file;
}
