/** The shape every CLI command has: one file per command under `commands/`. */

import { parseArgs } from 'node:util';
import { StratoError } from '../errors.ts';
import { EXAMPLES } from './examples.ts';
import type { CliIo } from './io.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in `--help`. */
  description: string;
  /** Placeholder for the value in `--help`, e.g. FILE. */
  valueName?: string;
}

export interface ParsedArgs {
  positionals: string[];
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Arguments after the command name, e.g. `FILE...`. */
  usage: string;
  /** Paragraphs shown by `strato CMD --help`. */
  description?: string;
  options: Record<string, OptionSpec>;
  /** Returns the exit code: 0 ok, 1 the job or operation failed, 2 bad input or usage. */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', description: 'Show help.' },
  debug: { type: 'boolean', description: 'Show stack traces and internal details on errors.' },
};

export function parseCommandArgs(command: Command, argv: string[]): ParsedArgs {
  const options = { ...GLOBAL_OPTIONS, ...command.options };
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [
          name,
          { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
    if (!values.help) checkExtraPositionals(command, positionals);
    return { values, positionals };
  } catch (error) {
    if (error instanceof StratoError) throw error;
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new StratoError('E_USAGE', message, { hint: `see \`strato ${command.name} --help\`` });
  }
}

/**
 * How many positional arguments `usage` allows: its words before the first
 * option, unbounded when one ends in `...` (`ID...`, `[TARGET...]`).
 */
export function maxPositionals(usage: string): number {
  const words = usage.split(/\s+/).filter((w) => w !== '');
  const firstOption = words.findIndex((w) => w.startsWith('-') || w.startsWith('[-'));
  const positional = firstOption === -1 ? words : words.slice(0, firstOption);
  return positional.some((w) => w.includes('...')) ? Number.POSITIVE_INFINITY : positional.length;
}

/** An argument beyond what the command takes is a usage error, never silently ignored. */
function checkExtraPositionals(command: Command, positionals: readonly string[]): void {
  const max = maxPositionals(command.usage);
  if (positionals.length <= max) return;
  const extra = positionals.slice(max);
  throw new StratoError(
    'E_USAGE',
    `unexpected argument${extra.length === 1 ? '' : 's'} ${extra.map((a) => `"${a}"`).join(' ')}`,
    { hint: `usage: strato ${command.name} ${command.usage}`.trimEnd() },
  );
}

export function commandHelp(command: Command): string {
  const options = { ...command.options, ...GLOBAL_OPTIONS };
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : ''}`;
    return [flag, o.description] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [
    `Usage: strato ${command.name} ${command.usage}`.trimEnd(),
    '',
    command.summary,
    ...(command.description ? ['', command.description.trim()] : []),
    '',
    'Options:',
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
    '',
    'Examples:',
    ...(EXAMPLES[command.name] ?? []).map((line) => `  ${line}`),
  ].join('\n');
}

/** Positional arguments: at least `min`, else a usage error naming what is missing. */
export function requirePositionals(command: Command, args: ParsedArgs, min: number, what: string): string[] {
  if (args.positionals.length < min) {
    throw new StratoError('E_USAGE', `missing ${what}`, {
      hint: `usage: strato ${command.name} ${command.usage}`,
    });
  }
  return args.positionals;
}
