/**
 * gRPC errors from the Vertex client → StratoErrors, at the provider's edge.
 * The service's own message is kept; the hint says the likely fix (the API
 * not enabled, a missing IAM role, a quota to raise). Only UNAVAILABLE,
 * DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED are retryable.
 * (https://cloud.google.com/vertex-ai/docs/general/troubleshooting,
 * https://cloud.google.com/vertex-ai/docs/general/access-control#predefined-roles)
 */

import { StratoError } from '../../errors.ts';
import { GrpcCode, isMissingGoogleCredentials } from '../../internal/google-status.ts';

export interface ErrorContext {
  /** What Strato was doing, e.g. `creating CustomJob for job abc`. */
  action: string;
  project: string;
  region: string;
}

interface RpcErrorLike {
  code?: number;
  details?: string;
  message?: string;
}

function serviceMessage(error: RpcErrorLike): string {
  const text = error.details || error.message || String(error);
  return text.replace(/^\d+ [A-Z_]+: /, '');
}

const API_DISABLED = /SERVICE_DISABLED|has not been used in project|is disabled|API has not been enabled/i;

function permissionHint(message: string, context: ErrorContext): string {
  if (API_DISABLED.test(message)) {
    return `enable the Vertex AI API: gcloud services enable aiplatform.googleapis.com --project ${context.project}`;
  }
  return (
    `grant the caller the Vertex AI User role: gcloud projects add-iam-policy-binding ${context.project} ` +
    '--member=user:YOU@EXAMPLE.COM --role=roles/aiplatform.user (a service account running the job ' +
    'also needs roles/storage.objectAdmin on the output bucket)'
  );
}

const CREDENTIALS_FIX =
  'log in with `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file; ' +
  'for the fake Vertex of `strato fake-cloud`, export the STRATO_VERTEX_ENDPOINT it prints (http://… means plaintext, no credentials)';

/** The StratoError for an error thrown by the Vertex client (or passes a StratoError through). */
export function translateVertexError(error: unknown, context: ErrorContext): StratoError {
  if (error instanceof StratoError) return error;
  const rpc = (error ?? {}) as RpcErrorLike;
  if (typeof rpc.code !== 'number' && isMissingGoogleCredentials(serviceMessage(rpc))) {
    return new StratoError('E_AUTH', `no Google credentials for ${context.action}: ${serviceMessage(rpc)}`, {
      cause: error,
      hint: CREDENTIALS_FIX,
    });
  }
  const message = `Vertex AI refused ${context.action}: ${serviceMessage(rpc)}`;
  const options = { cause: error };
  switch (rpc.code) {
    case GrpcCode.UNAVAILABLE:
    case GrpcCode.DEADLINE_EXCEEDED:
      return new StratoError(
        'E_TRANSIENT',
        `Vertex AI did not answer ${context.action}: ${serviceMessage(rpc)}`,
        {
          ...options,
          retryable: true,
          hint: 'a network or service hiccup; Strato retried and gave up — try again in a minute',
        },
      );
    case GrpcCode.RESOURCE_EXHAUSTED:
      return new StratoError('E_QUOTA', message, {
        ...options,
        retryable: true,
        hint: `a Vertex AI quota in ${context.region} is exhausted; see https://console.cloud.google.com/iam-admin/quotas?project=${context.project} (filter "aiplatform") and request more, or use another region`,
      });
    case GrpcCode.INVALID_ARGUMENT:
      return new StratoError('E_INVALID_REQUEST', message, {
        ...options,
        hint: 'fix the fields named above; `strato explain FILE` shows the plan Strato sends',
      });
    case GrpcCode.FAILED_PRECONDITION:
      return new StratoError('E_INVALID_REQUEST', message, {
        ...options,
        hint: API_DISABLED.test(serviceMessage(rpc))
          ? permissionHint(serviceMessage(rpc), context)
          : 'the job is not in a state that allows this; `strato status` shows its state',
      });
    case GrpcCode.PERMISSION_DENIED:
      return new StratoError('E_AUTH', message, {
        ...options,
        hint: permissionHint(serviceMessage(rpc), context),
      });
    case GrpcCode.UNAUTHENTICATED:
      return new StratoError('E_AUTH', message, {
        ...options,
        hint: CREDENTIALS_FIX,
      });
    case GrpcCode.NOT_FOUND:
      return new StratoError('E_NOT_FOUND', message, {
        ...options,
        hint: `check the project (${context.project}) and region (${context.region}); the job may have been deleted`,
      });
    case GrpcCode.ALREADY_EXISTS:
      return new StratoError('E_INVALID_REQUEST', message, { ...options });
    default:
      return new StratoError('E_INTERNAL', message, {
        ...options,
        hint: 'an unexpected answer from Vertex AI; run again with --debug and report it if it persists',
      });
  }
}
