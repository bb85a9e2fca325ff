/**
 * Compute Engine errors → StratoErrors, at the drivers' edge: errors the
 * client throws (an HTTP status decoded into a gRPC code) and errors an
 * operation ends with (`operation.error.errors[].code`, e.g.
 * `ZONE_RESOURCE_POOL_EXHAUSTED`). The service's words are kept; the hint
 * says what to try.
 * (https://cloud.google.com/compute/docs/troubleshooting/troubleshooting-resource-availability,
 * https://cloud.google.com/compute/resource-usage)
 */

import { StratoError } from '../../errors.ts';
import { GrpcCode as Code, isMissingGoogleCredentials } from '../../internal/google-status.ts';

export const CREDENTIALS_FIX =
  'log in with `gcloud auth application-default login` (or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file); ' +
  'for the fake Compute Engine of `strato fake-cloud`, export the STRATO_COMPUTE_ENDPOINT it prints (http://… means no credentials)';

interface ClientErrorLike {
  code?: number | string;
  message?: string;
  details?: unknown;
}

function serviceMessage(error: ClientErrorLike): string {
  const text =
    typeof error.details === 'string' && error.details ? error.details : error.message || String(error);
  return text.replace(/^\d+ [A-Z_]+: /, '');
}

/** The StratoError for an error the Compute client threw while doing `action` (StratoErrors pass through). */
export function translateComputeError(error: unknown, action: string, project: string): StratoError {
  if (error instanceof StratoError) return error;
  const failure = (error ?? {}) as ClientErrorLike;
  const said = serviceMessage(failure);
  const cause = { cause: error };
  if (typeof failure.code !== 'number' && isMissingGoogleCredentials(said)) {
    return new StratoError('E_AUTH', `no Google credentials for ${action}: ${said}`, {
      ...cause,
      hint: CREDENTIALS_FIX,
    });
  }
  const message = `Compute Engine refused ${action}: ${said}`;
  switch (failure.code) {
    case Code.UNAVAILABLE:
    case Code.DEADLINE_EXCEEDED:
    case Code.INTERNAL:
      return new StratoError('E_TRANSIENT', `Compute Engine did not answer ${action}: ${said}`, {
        ...cause,
        retryable: true,
        hint: 'a network or service hiccup; Strato retried and gave up — run the same command again',
      });
    case Code.INVALID_ARGUMENT:
      return new StratoError('E_INVALID_REQUEST', message, {
        ...cause,
        hint: 'fix the field the service names above in the stack definition',
      });
    case Code.NOT_FOUND:
      return new StratoError('E_NOT_FOUND', message, {
        ...cause,
        hint: `check the project (${project}), zone and names`,
      });
    case Code.ALREADY_EXISTS:
    // The REST transport maps HTTP 409 (the service's `alreadyExists`) to ABORTED.
    case Code.ABORTED:
      return new StratoError('E_CONFLICT', message, {
        ...cause,
        hint: 'a resource with this name exists; `strato infra import` adopts it',
      });
    case Code.FAILED_PRECONDITION:
      return new StratoError('E_CONFLICT', message, {
        ...cause,
        retryable: true,
        hint: 'the resource changed meanwhile; run again',
      });
    case Code.RESOURCE_EXHAUSTED:
      return new StratoError('E_QUOTA', message, { ...cause, hint: quotaHint(project) });
    case Code.PERMISSION_DENIED:
      return new StratoError('E_AUTH', message, {
        ...cause,
        hint: /SERVICE_DISABLED|has not been used|is disabled/i.test(said)
          ? `enable the API: gcloud services enable compute.googleapis.com --project ${project}`
          : `grant the caller roles/compute.instanceAdmin.v1 and roles/compute.networkAdmin on ${project}`,
      });
    case Code.UNAUTHENTICATED:
      return new StratoError('E_AUTH', message, { ...cause, hint: CREDENTIALS_FIX });
    default:
      return new StratoError('E_INTERNAL', message, {
        ...cause,
        hint: 'an unexpected answer from Compute Engine; run again with --debug and report it if it persists',
      });
  }
}

function quotaHint(project: string): string {
  return `request more at https://console.cloud.google.com/iam-admin/quotas?project=${project} (filter by the metric named above), or use another region`;
}

export interface OperationErrorContext {
  action: string;
  project: string;
  zone?: string;
  machineType?: string;
  spot?: boolean;
}

/** The StratoError for an operation that ended with `error.errors` (a stockout, an exhausted quota, …). */
export function translateOperationError(
  errors: readonly { code?: string | null; message?: string | null }[],
  context: OperationErrorContext,
): StratoError {
  const first = errors[0] ?? {};
  const code = first.code ?? 'UNKNOWN';
  const said = errors.map((e) => `${e.code}: ${e.message}`).join('; ');
  const message = `${context.action} failed: ${said}`;
  if (code === 'ZONE_RESOURCE_POOL_EXHAUSTED' || code === 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS') {
    const model = context.spot
      ? 'on-demand instead of spot (spot capacity is the first to run out)'
      : 'spot instead of on-demand (a different pool), or the other way round';
    return new StratoError('E_NO_CAPACITY', message, {
      hint:
        `${context.zone ?? 'the zone'} has no ${context.machineType ?? 'capacity'} free now. Try: another zone ` +
        `(\`gcloud compute machine-types list --filter="name=${context.machineType ?? 'TYPE'}"\` shows where the shape exists); ` +
        `${model}; a reservation (\`gcloud compute reservations create\`, then point the VMs at it); or deploy again later`,
    });
  }
  if (code === 'QUOTA_EXCEEDED')
    return new StratoError('E_QUOTA', message, { hint: quotaHint(context.project) });
  if (code === 'RESOURCE_NOT_FOUND' || code === 'NOT_FOUND') return new StratoError('E_NOT_FOUND', message);
  return new StratoError('E_INVALID_REQUEST', message, {
    hint: 'the service says why above; fix the stack definition and deploy again',
  });
}
