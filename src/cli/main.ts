/** `strato` entry point: dispatches to one command, prints errors as one line plus a hint. */

import { StratoError, toStratoError } from '../errors.ts';
import { type Command, commandHelp, parseCommandArgs } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { type CliIo, processIo } from './io.ts';
import { verboseVersion, version } from './version.ts';

async function mainHelp(): Promise<string> {
  const commands = await Promise.all(COMMANDS.map((entry) => entry.load()));
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Strato: run TensorFlow distributed training on Cloud TPU and GPU machines, or on this one.',
    '',
    'Usage: strato COMMAND [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `strato COMMAND --help` for a command's options.",
    'Global options: --help, --version (with --verbose: the Node and platform it runs on),',
    '  --debug (stack traces on errors).',
    'Exit codes: 0 ok, 1 the job or operation failed, 2 bad input or usage.',
  ].join('\n');
}

async function findCommand(name: string): Promise<Command> {
  const entry = COMMANDS.find((c) => c.name === name);
  if (entry) return entry.load();
  const names = COMMANDS.map((c) => c.name);
  const near = names.filter((n) => n.startsWith(name.slice(0, 2)));
  throw new StratoError('E_USAGE', `unknown command "${name}"`, {
    hint:
      near.length > 0
        ? `did you mean ${near.map((n) => `"${n}"`).join(' or ')}? (strato --help lists all)`
        : 'strato --help lists the commands',
  });
}

export function reportError(error: unknown, io: CliIo, debug: boolean): number {
  const err = toStratoError(error);
  io.err(`error: ${err.message}`);
  if (err.hint) io.err(`hint: ${err.hint}`);
  if (debug)
    io.err(
      `[${err.code}] ${err.stack ?? ''}${err.cause instanceof Error ? `\ncaused by: ${err.cause.stack}` : ''}`,
    );
  return err.exitCode;
}

/**
 * google-auth-library looks for the GCE metadata server when it finds no other
 * credentials: by default it asks the BIOS and then pings 169.254.169.254,
 * which off Google Cloud takes seconds and prints a MetadataLookupWarning. The
 * BIOS alone says whether this is a Google Cloud VM (gcp-metadata's
 * `bios-only`), so a command without credentials fails at once with one
 * message. A value the user set is kept.
 */
function skipMetadataServerPing(env: NodeJS.ProcessEnv): void {
  env.METADATA_SERVER_DETECTION ??= 'bios-only';
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const debug = argv.includes('--debug');
  skipMetadataServerPing(process.env);
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      const topic = first === 'help' ? rest[0] : undefined;
      io.out(topic ? commandHelp(await findCommand(topic)) : await mainHelp());
      return 0;
    }
    if (first === '--version' || first === '-v') {
      io.out(rest.includes('--verbose') ? verboseVersion() : version());
      return 0;
    }
    if (first.startsWith('-')) {
      throw new StratoError('E_USAGE', `unknown option "${first}" before the command`, {
        hint: 'strato --help lists the commands',
      });
    }
    const command = await findCommand(first);
    const args = parseCommandArgs(command, rest);
    if (args.values.help) {
      io.out(commandHelp(command));
      return 0;
    }
    return await command.run(args, io);
  } catch (error) {
    return reportError(error, io, debug);
  }
}
