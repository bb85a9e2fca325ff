import { StratoError } from '../../errors.ts';
import { listenForInterrupts } from '../../internal/interrupt.ts';
import type { JobRecord } from '../../jobs/store.ts';
import { getJob, listJobs } from '../../jobs/submit.ts';
import { watchJobs } from '../../jobs/watch.ts';
import { isTerminalState } from '../../providers/types.ts';
import type { Command } from '../command.ts';

const DEFAULT_INTERVAL_SEC = 5;

function clock(now: Date): string {
  return now.toTimeString().slice(0, 8);
}

/** What changed for a job since the last tick, as one line; undefined when nothing did. */
function change(previous: JobRecord | undefined, record: JobRecord): string | undefined {
  const message = record.status?.message ?? '';
  if (previous && previous.state === record.state && (previous.status?.message ?? '') === message)
    return undefined;
  const attempt = record.status && record.status.attempt > 1 ? ` (attempt ${record.status.attempt})` : '';
  const error =
    isTerminalState(record.state) && record.status?.error
      ? `: ${record.status.error.message.split('\n')[0]}`
      : '';
  return `${record.id}  ${record.state}${attempt}${message ? `: ${message}` : ''}${error}`;
}

/** The same change as data, for --json. */
function changeRecord(at: Date, record: JobRecord): Record<string, unknown> {
  return {
    at: at.toISOString(),
    id: record.id,
    state: record.state,
    attempt: record.status?.attempt ?? 1,
    ...(record.status?.message ? { message: record.status.message } : {}),
    ...(isTerminalState(record.state) && record.status?.error ? { error: record.status.error } : {}),
  };
}

export const watchCommand: Command = {
  name: 'watch',
  summary: 'Follow many jobs until they end: one line per state change, one batched status call per tick.',
  usage: '[ID...] [--interval SEC] [--json]',
  description: `
Without IDs, watches every job that has not ended. Each tick asks each provider once for all its
jobs (Vertex AI: one ListCustomJobs, however many jobs), and prints a line whenever a job's state
or its "why isn't it running" reason changes. Exits when every watched job has ended: 0 when all
SUCCEEDED, 1 otherwise. Ctrl-C (or SIGTERM) stops watching; the jobs keep running.
With --json, each change is one JSON line: {at, id, state, attempt, message, error}.`,
  options: {
    json: { type: 'boolean', description: 'One JSON object per change (NDJSON) instead of text lines.' },
    interval: {
      type: 'string',
      valueName: 'SEC',
      description: `Seconds between ticks (default ${DEFAULT_INTERVAL_SEC}).`,
    },
  },
  async run(args, io) {
    const intervalSec =
      args.values.interval === undefined ? DEFAULT_INTERVAL_SEC : Number(args.values.interval);
    if (!Number.isFinite(intervalSec) || intervalSec <= 0) {
      throw new StratoError(
        'E_USAGE',
        `--interval must be a positive number of seconds, not "${args.values.interval}"`,
        {
          hint: 'e.g. --interval 10',
        },
      );
    }
    const records =
      args.positionals.length > 0
        ? await Promise.all(args.positionals.map(async (id) => (await getJob(id, { env: io.env })).record))
        : listJobs({ env: io.env }).filter((r) => !isTerminalState(r.state));
    if (records.length === 0) {
      // With --json, stdout stays parseable: no lines at all.
      if (args.values.json) io.err('no jobs to watch: every job has ended (strato list shows them)');
      else io.out('no jobs to watch: every job has ended (strato list shows them)');
      return 0;
    }
    const interrupts = listenForInterrupts();
    try {
      const last = new Map<string, JobRecord>();
      let latest: readonly JobRecord[] = records;
      for await (const tick of watchJobs(records, {
        env: io.env,
        intervalMs: intervalSec * 1000,
        signal: interrupts.signal,
      })) {
        latest = tick.jobs.map((j) => j.record);
        for (const { record, problem } of tick.jobs) {
          const line = change(last.get(record.id), record);
          if (line && args.values.json) io.out(JSON.stringify(changeRecord(tick.at, record)));
          else if (line) io.out(`${clock(tick.at)}  ${line}`);
          if (problem && !last.has(record.id))
            io.err(`warning: ${record.id}: state not refreshed (${problem})`);
          last.set(record.id, record);
        }
      }
      if (!latest.every((r) => isTerminalState(r.state))) {
        io.err('stopped watching; the jobs keep running');
        return 0;
      }
      return latest.every((r) => r.state === 'SUCCEEDED') ? 0 : 1;
    } finally {
      interrupts.release();
    }
  },
};
