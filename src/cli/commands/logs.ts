import { StratoError } from '../../errors.ts';
import { listenForInterrupts } from '../../internal/interrupt.ts';
import { getJob } from '../../jobs/submit.ts';
import type { LogLine } from '../../providers/types.ts';
import { type Command, requirePositionals } from '../command.ts';

/** Output written between waits for standard output to take it: bounds what a slow reader leaves in memory. */
const DRAIN_EVERY_CHARS = 1024 * 1024;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--since`: a duration back from now (`90s`, `10m`, `1h30m`, `2d`) or a
 * time (`2026-01-31T12:00:00Z`, `2026-01-31`), as `docker logs --since` and
 * `kubectl logs --since` take them.
 */
export function parseSince(value: string, now: Date): Date {
  const text = value.trim();
  if (/^(\d+[smhd])+$/.test(text)) {
    let ms = 0;
    for (const [, amount, unit] of text.matchAll(/(\d+)([smhd])/g)) ms += Number(amount) * UNIT_MS[unit!]!;
    return new Date(now.getTime() - ms);
  }
  if (/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/i.test(text)) {
    const at = new Date(text);
    if (!Number.isNaN(at.getTime())) return at;
  }
  throw new StratoError('E_USAGE', `--since "${value}" is neither a duration nor a time`, {
    hint: 'e.g. --since 10m, --since 1h30m, --since 2d, or --since 2026-01-31T12:00:00Z',
  });
}

function parseTail(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new StratoError('E_USAGE', `--tail "${value}" is not a positive whole number of lines`, {
      hint: 'e.g. --tail 100',
    });
  }
  return Number(value);
}

/** One line as printed: `TIME [replica] text`, each part only where it says something. */
function formatLine(line: LogLine, showReplica: boolean): string {
  return [line.time, showReplica ? `[${line.replica}]` : undefined, line.text]
    .filter((part) => part !== undefined)
    .join(' ');
}

export const logsCommand: Command = {
  name: 'logs',
  summary: "Print a job's replica logs; --follow keeps printing until the job ends.",
  usage: 'ID [--replica NAME] [--follow] [--since DURATION|TIME] [--tail N] [--json]',
  description: `
Lines are prefixed with their replica, e.g. [worker-1], unless --replica picks one. On Vertex AI
the lines come from Cloud Logging (where Vertex writes them), interleaved by time and prefixed with
their timestamp; replicas are named as Vertex names them (workerpool0-0, workerpool1-0, …).
With --follow, new lines appear as the replicas write them; Ctrl-C stops following (not the job).
--since needs timestamps, so it applies to cloud jobs; local replica logs carry none.`,
  options: {
    replica: {
      type: 'string',
      short: 'r',
      valueName: 'NAME',
      description: 'Only this replica, e.g. worker-1 (local) or workerpool1-0 (Vertex).',
    },
    follow: { type: 'boolean', short: 'f', description: 'Keep printing until the job ends.' },
    since: {
      type: 'string',
      valueName: 'DURATION|TIME',
      description: 'Only lines from this long ago (10m, 1h30m, 2d) or since this time (RFC 3339).',
    },
    tail: {
      type: 'string',
      short: 'n',
      valueName: 'N',
      description: 'Only the last N lines so far (per replica where lines carry no time).',
    },
    json: { type: 'boolean', description: 'One JSON object per line: {"time","replica","text"}.' },
  },
  async run(args, io) {
    const [id, ...extra] = requirePositionals(this, args, 1, 'the job id (see strato list)');
    if (extra.length > 0) {
      throw new StratoError('E_USAGE', `strato logs takes one job id, got ${args.positionals.length}`, {
        hint: `usage: strato logs ${this.usage}`,
      });
    }
    const replica = typeof args.values.replica === 'string' ? args.values.replica : undefined;
    const since =
      typeof args.values.since === 'string' ? parseSince(args.values.since, new Date()) : undefined;
    const tail = typeof args.values.tail === 'string' ? parseTail(args.values.tail) : undefined;
    const job = await getJob(id!, { env: io.env });
    if (since && job.record.handle.provider === 'local') {
      throw new StratoError('E_USAGE', `--since needs timestamps, and local replica logs carry none`, {
        hint: `use --tail N to see the last lines: strato logs ${id} --tail 50`,
      });
    }
    const json = Boolean(args.values.json);
    const interrupts = listenForInterrupts();
    let printed = 0;
    try {
      for await (const line of job.logs({
        ...(replica ? { replica } : {}),
        ...(since ? { since } : {}),
        ...(tail !== undefined ? { tail } : {}),
        follow: Boolean(args.values.follow),
        signal: interrupts.signal,
      })) {
        io.out(
          json
            ? JSON.stringify({
                ...(line.time ? { time: line.time } : {}),
                replica: line.replica,
                text: line.text,
              })
            : formatLine(line, !replica),
        );
        // A slow reader (a pipe) slows the reading down instead of the lines piling up in memory.
        printed += line.text.length;
        if (printed > DRAIN_EVERY_CHARS) {
          printed = 0;
          await io.drain();
        }
      }
    } finally {
      interrupts.release();
    }
    return 0;
  },
};
