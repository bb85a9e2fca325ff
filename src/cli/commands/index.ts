import type { Command } from '../command.ts';
import { explainCommand } from './explain.ts';
import { validateCommand } from './validate.ts';

/** Every command, in the order `strato --help` lists them. */
export const COMMANDS: readonly Command[] = [validateCommand, explainCommand];
