/**
 * Errors from the TpuClient → StratoErrors, at the driver's edge: the
 * service's words kept, the fix added (credentials, the API, a quota, another
 * zone). The REST transport carries gRPC status numbers (google/rpc/code.proto).
 * (https://cloud.google.com/tpu/docs/troubleshooting/troubleshoot-tpu-vm)
 */

import { StratoError } from '../../errors.ts';
import { GrpcCode as Code, isMissingGoogleCredentials } from '../../internal/google-status.ts';

export interface TpuErrorContext {
  /** What Strato was doing, e.g. `creating queued resource s-train`. */
  action: string;
  project: string;
  zone: string;
}

interface ClientError {
  code?: number;
  details?: string;
  message?: string;
}

export const CREDENTIALS_FIX =
  'log in with `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file; ' +
  'for the fake Cloud TPU of `strato fake-cloud`, export the STRATO_TPU_ENDPOINT it prints (http://… means plaintext, no credentials)';

function serviceMessage(error: ClientError): string {
  // `details` is a string on gRPC errors and an array on REST ones.
  const text =
    typeof error.details === 'string' && error.details ? error.details : error.message || String(error);
  return text.replace(/^\d+ [A-Z_]+: /, '');
}

export function isNotFound(error: unknown): boolean {
  return (error as ClientError | undefined)?.code === Code.NOT_FOUND;
}

/**
 * A create refused because the name is taken. The client's REST transport
 * (the one Strato uses) maps every HTTP 409 to ABORTED, the service's
 * `ALREADY_EXISTS` included: a create answered 409 is taken as that, and
 * callers read the resource back before they rely on it.
 */
export function isAlreadyExists(error: unknown): boolean {
  const code = (error as ClientError | undefined)?.code;
  return code === Code.ALREADY_EXISTS || code === Code.ABORTED;
}

/** The StratoError for an error thrown by the TpuClient (a StratoError passes through). */
export function translateTpuError(error: unknown, context: TpuErrorContext): StratoError {
  if (error instanceof StratoError) return error;
  const rpc = (error ?? {}) as ClientError;
  const text = serviceMessage(rpc);
  if (typeof rpc.code !== 'number' && isMissingGoogleCredentials(text)) {
    return new StratoError('E_AUTH', `no Google credentials for ${context.action}: ${text}`, {
      cause: error,
      hint: CREDENTIALS_FIX,
    });
  }
  const message = `Cloud TPU refused ${context.action}: ${text}`;
  const options = { cause: error };
  switch (rpc.code) {
    case Code.UNAVAILABLE:
    case Code.DEADLINE_EXCEEDED:
      return new StratoError('E_TRANSIENT', `Cloud TPU did not answer ${context.action}: ${text}`, {
        ...options,
        hint: 'a network or service hiccup; run the command again in a minute',
      });
    case Code.RESOURCE_EXHAUSTED:
      return new StratoError('E_QUOTA', message, {
        ...options,
        retryable: true,
        hint:
          `a Cloud TPU quota in ${context.zone} is exhausted; see https://console.cloud.google.com/iam-admin/quotas?project=${context.project} ` +
          '(filter "tpu.googleapis.com") and request more, use another zone, or use spot capacity (a separate quota)',
      });
    case Code.INVALID_ARGUMENT:
    case Code.FAILED_PRECONDITION:
      return new StratoError('E_INVALID_REQUEST', message, {
        ...options,
        hint: 'fix the TpuSlice props named above; `gcloud compute tpus accelerator-types list --zone ZONE` and `gcloud compute tpus versions list --zone ZONE` show what a zone offers',
      });
    case Code.PERMISSION_DENIED:
      return new StratoError('E_AUTH', message, {
        ...options,
        hint: /SERVICE_DISABLED|has not been used|is disabled/i.test(text)
          ? `enable the Cloud TPU API: gcloud services enable tpu.googleapis.com --project ${context.project}`
          : `grant the caller the TPU Admin role: gcloud projects add-iam-policy-binding ${context.project} --member=user:YOU@EXAMPLE.COM --role=roles/tpu.admin`,
      });
    case Code.UNAUTHENTICATED:
      return new StratoError('E_AUTH', message, { ...options, hint: CREDENTIALS_FIX });
    case Code.NOT_FOUND:
      return new StratoError('E_NOT_FOUND', message, {
        ...options,
        hint: `check the project (${context.project}) and zone (${context.zone}); Cloud TPU zones are listed at https://cloud.google.com/tpu/docs/regions-zones`,
      });
    case Code.ALREADY_EXISTS:
    // The REST transport maps HTTP 409 (the service's ALREADY_EXISTS) to ABORTED.
    case Code.ABORTED:
      return new StratoError('E_CONFLICT', message, { ...options });
    default:
      return new StratoError('E_INTERNAL', message, {
        ...options,
        hint: 'an unexpected answer from Cloud TPU; run again with --debug and report it if it persists',
      });
  }
}
