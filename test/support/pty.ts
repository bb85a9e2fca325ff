/**
 * Runs `strato` on a pseudo-terminal (python3's `pty` module, no extra
 * dependency): stdin and stdout are a terminal of the given width, as in a
 * user's shell, and one prompt can be answered. What the terminal showed
 * (stdout and stderr together, with `\r\n` line ends) comes back as `screen`.
 */

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './local.ts';

export interface PtyResult {
  code: number;
  /** Everything the terminal showed, `\r\n` turned into `\n`. */
  screen: string;
}

export interface PtyOptions {
  env: NodeJS.ProcessEnv;
  /** Terminal width; default 100. */
  columns?: number;
  /** Typed (with Enter) once the output contains `prompt`. */
  answer?: { prompt: string; text: string };
  cwd?: string;
  timeoutMs?: number;
}

export function stratoOnTerminal(args: string[], options: PtyOptions): Promise<PtyResult> {
  const script = join(REPO_ROOT, 'test', 'support', 'python', 'pty_run.py');
  const argv = [
    script,
    String(options.columns ?? 100),
    options.answer?.prompt ?? '',
    options.answer?.text ?? '',
    '--',
    process.execPath,
    join(REPO_ROOT, 'bin', 'strato.js'),
    ...args,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      'python3',
      argv,
      {
        env: options.env,
        cwd: options.cwd ?? REPO_ROOT,
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 16e6,
      },
      (error, stdout) => {
        const screen = stdout.replace(/\r\n/g, '\n');
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? Number(error.code) : 0, screen });
      },
    );
  });
}
