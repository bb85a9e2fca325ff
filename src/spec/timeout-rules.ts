/**
 * `scheduling.timeoutSec` is a promise that the job stops (and stops costing)
 * after so long. Where a provider has no way to keep it, the spec is refused
 * rather than run without the limit: local stops its processes, Vertex AI
 * has `scheduling.timeout`, and a `gce` job's own VMs get `maxRunDuration`;
 * a TPU VM queued resource, an EC2 instance and a standing machine of an
 * infra stack have no run-time limit Strato sets.
 */

import type { SpecIssue } from '../errors.ts';
import type { JobSpec } from './schema.ts';

/** Where the limit is kept, for the fix. */
const KEPT_BY = 'local, vertex, and gce on VMs made for the job';

/** Why `provider` cannot keep a run-time limit, or nothing when it can. */
function noLimitOn(provider: JobSpec['provider']): string | undefined {
  if (provider.name === 'tpu-vm')
    return provider.slice
      ? 'a standing slice has no run-time limit of the job'
      : 'a TPU VM queued resource has no run-time limit';
  if (provider.name === 'ec2') return 'an EC2 instance has no run-time limit Strato sets';
  if (provider.name === 'gce' && provider.vms)
    return "a stack's standing VMs have no run-time limit of the job";
  return undefined;
}

export function checkTimeoutApplies(spec: JobSpec): SpecIssue[] {
  const timeoutSec = spec.scheduling.timeoutSec;
  if (timeoutSec === undefined) return [];
  const why = noLimitOn(spec.provider);
  if (!why) return [];
  return [
    {
      path: 'scheduling.timeoutSec',
      message: `is not applied on ${spec.provider.name}: ${why}`,
      received: timeoutSec,
      fix: `remove scheduling.timeoutSec and stop the job with \`strato cancel <job id>\` when it must end, or run it where the limit is kept (${KEPT_BY})`,
    },
  ];
}
