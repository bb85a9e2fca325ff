/** Where a command writes. Passed in, so tests can run commands in-process. */

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Standard output is a terminal: progress bars and colours are welcome. */
  isTTY: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    isTTY: Boolean(process.stdout.isTTY),
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
    isTTY: false,
    cwd: process.cwd(),
    env: process.env,
    ...overrides,
  };
  return io;
}
