import type { Command } from '../command.ts';
import { cancelCommand } from './cancel.ts';
import { dataCommand } from './data.ts';
import { explainCommand } from './explain.ts';
import { fakeCloudCommand } from './fake-cloud.ts';
import { listCommand } from './list.ts';
import { logsCommand } from './logs.ts';
import { metricsCommand } from './metrics.ts';
import { runCommand } from './run.ts';
import { statusCommand } from './status.ts';
import { submitCommand } from './submit.ts';
import { validateCommand } from './validate.ts';
import { watchCommand } from './watch.ts';

/** Every command, in the order `strato --help` lists them. */
export const COMMANDS: readonly Command[] = [
  validateCommand,
  explainCommand,
  runCommand,
  submitCommand,
  statusCommand,
  logsCommand,
  metricsCommand,
  cancelCommand,
  listCommand,
  watchCommand,
  dataCommand,
  fakeCloudCommand,
];
