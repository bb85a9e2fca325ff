/** Where a command writes. Passed in, so tests can run commands in-process. */

import { once } from 'node:events';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /**
   * Resolves once standard output has taken what was written. A command
   * printing without end (millions of NDJSON lines) awaits it between
   * chunks, so a slow reader on a pipe slows it down instead of the
   * unwritten text piling up in memory.
   */
  drain(): Promise<void>;
  /** Standard output is a terminal: progress bars and colours are welcome. */
  isTTY: boolean;
  /** The terminal's width in columns, when standard output is one (read at each use: it may be resized). */
  readonly columns?: number | undefined;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    drain: async () => {
      if (process.stdout.writableNeedDrain) await once(process.stdout, 'drain');
    },
    isTTY: Boolean(process.stdout.isTTY),
    get columns() {
      return process.stdout.isTTY ? process.stdout.columns : undefined;
    },
    cwd: process.cwd(),
    env: process.env,
  };
}

/** Collects output in memory (tests, and commands that render then print). */
export function bufferIo(overrides: Partial<CliIo> = {}): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(text: string) {
      io.stdout += text.endsWith('\n') ? text : `${text}\n`;
    },
    err(text: string) {
      io.stderr += text.endsWith('\n') ? text : `${text}\n`;
    },
    drain: async () => {},
    isTTY: false,
    cwd: process.cwd(),
    env: process.env,
    ...overrides,
  };
  return io;
}
