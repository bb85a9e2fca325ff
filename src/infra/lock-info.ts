/**
 * Who holds a stack's lock: enough to name the holder in an error, to let
 * `strato infra force-unlock ID` release exactly that lock, and to notice a
 * holder that died on this machine (a deploy killed with SIGKILL), whose
 * lock the next run takes over instead of leaving the stack stuck.
 */

import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { z } from 'zod';
import { StratoError } from '../errors.ts';

export const LockInfoSchema = z.strictObject({
  id: z.string(),
  stack: z.string(),
  operation: z.string(),
  who: z.string(),
  host: z.string(),
  pid: z.number().int(),
  createdAt: z.string(),
});

export type LockInfo = z.infer<typeof LockInfoSchema>;

export function newLockInfo(stack: string, operation: string): LockInfo {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {}
  return {
    id: randomUUID(),
    stack,
    operation,
    who: `${user}@${hostname()}`,
    host: hostname(),
    pid: process.pid,
    createdAt: new Date().toISOString(),
  };
}

export function parseLockInfo(text: string): LockInfo | undefined {
  try {
    const parsed = LockInfoSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The holder ran on this machine and its process is gone. */
export function holderIsDead(info: LockInfo): boolean {
  if (info.host !== hostname() || info.pid === process.pid) return false;
  try {
    process.kill(info.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export function lockedError(where: string, holder: LockInfo | undefined): StratoError {
  const by = holder
    ? `${holder.operation} by ${holder.who} (pid ${holder.pid}) since ${holder.createdAt}, lock id ${holder.id}`
    : 'an unreadable lock';
  return new StratoError('E_CONFLICT', `the stack is locked: ${by} (${where})`, {
    retryable: true,
    hint: holder
      ? `wait for it to finish; if that process is gone for good: strato infra force-unlock ${holder.id}`
      : `remove the lock ${where} by hand once no deploy is running`,
  });
}
