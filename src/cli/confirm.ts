/**
 * The one confirmation the CLI asks before it changes or starts something
 * billable (`strato infra deploy|destroy`, `run` and `submit` of billable
 * machines): `--yes` goes ahead without asking; on a terminal (stdin and
 * stdout) the question is asked on stderr; with no terminal and no `--yes`
 * it is a usage error, never a silent yes.
 */

import { createInterface } from 'node:readline/promises';
import { StratoError } from '../errors.ts';
import type { CliIo } from './io.ts';

/** Asks on stderr, reads one line from stdin: true for y or yes (any case). */
export async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(question);
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export interface ConfirmRequest {
  /** `--yes` was given. */
  yes: boolean;
  /** What needs the confirmation, for the error without a terminal: `deploy changes cloud resources`. */
  what: string;
  /** The command the hint names: `add --yes to deploy without asking`. */
  command: string;
  question: string;
}

/** True to go ahead. Throws E_USAGE when there is no terminal to ask on and no `--yes`. */
export async function confirmOnTerminal(io: CliIo, request: ConfirmRequest): Promise<boolean> {
  if (request.yes) return true;
  if (!(io.isTTY && process.stdin.isTTY)) {
    throw new StratoError('E_USAGE', `${request.what} and needs a confirmation`, {
      hint: `add --yes to ${request.command} without asking (no terminal to ask on)`,
    });
  }
  return askOnTerminal(request.question);
}
