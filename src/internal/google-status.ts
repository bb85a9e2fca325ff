/**
 * What every Google client library's errors have in common, for the edges
 * that translate them (providers/vertex/errors.ts, infra/gcp/*-errors.ts):
 * the gRPC status codes both transports carry (REST decodes HTTP statuses
 * into them), and how google-auth-library says it found no credentials (its
 * errors carry no code). Written once so the translations agree.
 */

/** gRPC status codes (google/rpc/code.proto), without loading grpc-js. */
export const GrpcCode = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/**
 * google-auth-library's words when it has no usable credentials: none found,
 * a key file that is missing, a refresh refused, no project, or the metadata
 * server unreachable off Google Cloud.
 */
const NO_CREDENTIALS =
  /Could not load the default credentials|Could not refresh access token|invalid_grant|The file at .* does not exist|Unable to detect a Project Id|ENOENT.*\.json|Error while making request: .* metadata/i;

/** True when the error (or its message) is google-auth-library saying there are no usable credentials. */
export function isMissingGoogleCredentials(error: unknown): boolean {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  return NO_CREDENTIALS.test(message);
}
