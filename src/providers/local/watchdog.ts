/**
 * The watchdog: a tiny `/bin/sh` process, in its own process group, that
 * stops a replica group's processes when the process that started them dies
 * without doing so — including by SIGKILL, which no handler sees.
 *
 * It reads `+PGID` / `-PGID` lines on a pipe from its starter. When the
 * starter dies the kernel closes the pipe, the watchdog reads EOF, sends
 * SIGTERM to every group still listed, waits up to the grace period and
 * sends SIGKILL to what is left. A shell, not a second Node process: it
 * starts in a millisecond and costs ~1 MB, and one runs per job.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/** Tenths of a second, because `sleep 0.1` is the finest step portable shells have. */
const WATCHDOG_SCRIPT = `
ticks=$1
groups=' '
while IFS= read -r line; do
  case $line in
    +*) groups="$groups\${line#+} " ;;
    -*) keep=' '; for g in $groups; do [ "$g" = "\${line#-}" ] || keep="$keep$g "; done; groups=$keep ;;
  esac
done
[ "$groups" = ' ' ] && exit 0
for g in $groups; do kill -TERM -$g 2>/dev/null; done
n=0
while [ "$n" -lt "$ticks" ]; do
  alive=''
  for g in $groups; do kill -0 -$g 2>/dev/null && alive="$alive $g"; done
  [ -z "$alive" ] && exit 0
  groups=$alive
  sleep 0.1
  n=$((n + 1))
done
for g in $groups; do kill -KILL -$g 2>/dev/null; done
`;

export interface Watchdog {
  readonly pid: number | undefined;
  /** A replica group started: stop it if we die. */
  watch(pgid: number): void;
  /** The group has ended by itself: forget it (its id may be reused). */
  forget(pgid: number): void;
  /** Ends the watchdog quietly (nothing it watches is left running). */
  close(): void;
}

export function startWatchdog(options: { graceMs: number }): Watchdog {
  const ticks = Math.max(1, Math.ceil(options.graceMs / 100));
  const child: ChildProcess = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'strato-watchdog', String(ticks)], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.unref();
  const pipe = child.stdin as (Socket & NodeJS.WritableStream) | null;
  pipe?.unref?.();
  // The watchdog dying early must not crash us; its pipe then just errors.
  pipe?.on('error', () => {});
  child.on('error', () => {});
  let closed = false;
  const send = (line: string) => {
    if (!closed && pipe && !pipe.destroyed) pipe.write(`${line}\n`);
  };
  return {
    pid: child.pid,
    watch: (pgid) => send(`+${pgid}`),
    forget: (pgid) => send(`-${pgid}`),
    close() {
      if (closed) return;
      closed = true;
      pipe?.end();
    },
  };
}
