/**
 * Errors in the shape Google's JSON APIs answer with (IAM v1, Resource
 * Manager v1/v3): `{"error": {"code", "message", "status"}}`
 * (https://cloud.google.com/apis/design/errors#http_mapping), with the
 * services' own wording where it is known, so clients show what they would show.
 */

export class GoogleApiError extends Error {
  readonly code: number;
  readonly status: string;

  constructor(code: number, status: string, message: string) {
    super(message);
    this.code = code;
    this.status = status;
  }

  body() {
    return { error: { code: this.code, message: this.message, status: this.status } };
  }
}

export const invalidArgument = (message: string) => new GoogleApiError(400, 'INVALID_ARGUMENT', message);
export const notFound = (message: string) => new GoogleApiError(404, 'NOT_FOUND', message);
export const alreadyExists = (message: string) => new GoogleApiError(409, 'ALREADY_EXISTS', message);
/** What setIamPolicy answers when the policy changed since the caller read it (its etag is stale). */
export const concurrentPolicyChange = () =>
  new GoogleApiError(
    409,
    'ABORTED',
    'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
  );
