/**
 * Standing machines a stack deployed (`provider.vms` / `provider.slice`:
 * `<stack>/<construct id>`): found in the stack's state, as
 * `strato infra outputs` reads it — `infra/.strato/infra/<stack>.state.json`
 * beside the stack's definitions, looked for from the job spec's folder up,
 * then from the current folder. A job hands its work to them by metadata
 * (src/agent/layout.ts: `WORK_KEYS`) and takes it back by clearing those keys.
 */

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { METADATA_KEYS, WORK_KEYS } from '../../agent/layout.ts';
import { StratoError } from '../../errors.ts';
import { defaultStatePath, openStateBackend } from '../../infra/state-backend.ts';
import type { RecordedResource } from '../../infra/types.ts';

export interface StandingRef {
  stack: string;
  /** The construct id in the stack (`gpus`, `pod`). */
  id: string;
}

export function parseStandingRef(ref: string): StandingRef {
  const [stack = '', id = ''] = ref.split('/', 2);
  return { stack, id };
}

/** Folders to look for `infra/` in: the spec's folder and its parents, then the current folder. */
function candidateDirs(baseDir: string): string[] {
  const dirs: string[] = [];
  for (let dir = resolve(baseDir); ; dir = dirname(dir)) {
    dirs.push(dir);
    if (dirname(dir) === dir) break;
  }
  return [...new Set([...dirs, process.cwd()])];
}

/**
 * The recorded resources of `kind` the construct `ref.id` deployed (its own
 * record, or its children's: a GpuVms group's VMs are `<id>/<name>`).
 */
export async function findStandingResources(
  ref: StandingRef,
  kind: string,
  what: { field: string; construct: string },
  baseDir: string,
): Promise<RecordedResource[]> {
  const dir = candidateDirs(baseDir).find((d) => existsSync(defaultStatePath(join(d, 'infra'), ref.stack)));
  if (!dir) {
    throw new StratoError('E_NOT_FOUND', `${what.field}: no deployed stack "${ref.stack}" found`, {
      hint: `deploy it first (strato infra deploy infra/${ref.stack}.ts), and submit from the project that holds infra/`,
    });
  }
  const backend = await openStateBackend({ baseDir: join(dir, 'infra'), cwd: dir, stack: ref.stack });
  const state = await backend.read();
  const all = (state?.resources ?? []).filter((r) => r.kind === kind);
  const found = all.filter((r) => r.id === ref.id || r.id.startsWith(`${ref.id}/`));
  if (found.length === 0) {
    const ids = [...new Set(all.map((r) => r.id.split('/')[0]!))];
    throw new StratoError(
      'E_NOT_FOUND',
      `${what.field}: stack "${ref.stack}" has no deployed ${what.construct} "${ref.id}"`,
      {
        hint:
          ids.length > 0
            ? `use one of: ${ids.map((id) => `${ref.stack}/${id}`).join(', ')}`
            : `add a ${what.construct} with stratoJobs: true to the stack and run strato infra deploy`,
      },
    );
  }
  return found;
}

/** Carries Strato's agent: its startup script and `strato-standing: TRUE`. */
export function carriesAgent(metadata: Record<string, string>): boolean {
  return (
    (metadata[METADATA_KEYS.standing] ?? '').toUpperCase() === 'TRUE' &&
    (metadata[METADATA_KEYS.startupScript] ?? '').includes('strato-startup')
  );
}

export function agentMissing(
  field: string,
  ref: StandingRef,
  construct: string,
  machine: string,
): StratoError {
  return new StratoError(
    'E_UNSUPPORTED',
    `${field}: ${machine} of ${ref.stack}/${ref.id} does not carry Strato's job agent`,
    {
      hint: `set stratoJobs: true on ${construct} ${ref.id} in stack ${ref.stack} and run strato infra deploy`,
    },
  );
}

/** The job a machine works for now (its work keys), if any. */
export function workOf(metadata: Record<string, string>): { jobId: string; attempt: number } | undefined {
  const jobId = metadata[METADATA_KEYS.job];
  if (!jobId) return undefined;
  return { jobId, attempt: Number(metadata[METADATA_KEYS.attempt] ?? 0) };
}

export function busyWith(
  field: string,
  machine: string,
  work: { jobId: string; attempt: number },
): StratoError {
  return new StratoError(
    'E_CONFLICT',
    `${field}: ${machine} is busy with job ${work.jobId} (attempt ${work.attempt})`,
    {
      hint: `wait for job ${work.jobId} to end (strato status ${work.jobId}), or cancel it (strato cancel ${work.jobId})`,
    },
  );
}

/** The metadata without any work keys: a free standing machine. */
export function withoutWork(metadata: Record<string, string>): Record<string, string> {
  const rest = { ...metadata };
  for (const key of WORK_KEYS) delete rest[key];
  return rest;
}
