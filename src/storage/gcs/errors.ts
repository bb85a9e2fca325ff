/** Cloud Storage HTTP failures as StratoErrors, with the status kept for callers that branch on it. */

import { type ErrorCode, StratoError } from '../../errors.ts';
import { isNetworkError, isRetryableStatus } from './retry-rules.ts';

export class GcsRequestError extends StratoError {
  readonly status: number;

  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; retryable?: boolean } = {},
  ) {
    super(code, message, options);
    this.status = status;
    this.name = 'GcsRequestError';
  }
}

/** The JSON API's error message, from `{"error": {"message": ...}}` when there is one. */
function messageOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { message?: string } };
    return parsed.error?.message;
  } catch {
    const text = body.toString('utf8').trim();
    return text === '' ? undefined : text.slice(0, 200);
  }
}

export function errorFromResponse(status: number, body: Buffer, what: string): GcsRequestError {
  const detail = messageOf(body);
  const message = `${what}: HTTP ${status}${detail ? ` ${detail}` : ''}`;
  if (status === 401 || status === 403) {
    return new GcsRequestError(status, 'E_AUTH', message, {
      hint: 'check `gcloud auth application-default login` (or GOOGLE_APPLICATION_CREDENTIALS) and the storage.objects.* permissions on the bucket',
    });
  }
  if (status === 404)
    return new GcsRequestError(status, 'E_NOT_FOUND', message, { hint: 'check the bucket and object names' });
  if (status === 412) {
    return new GcsRequestError(status, 'E_CONFLICT', message, {
      hint: 'the object changed while this ran; run again',
    });
  }
  if (status === 429) {
    return new GcsRequestError(status, 'E_TRANSIENT', message, {
      retryable: true,
      hint: 'rate limited; retry later or lower the concurrency',
    });
  }
  if (isRetryableStatus(status)) {
    return new GcsRequestError(status, 'E_TRANSIENT', message, {
      retryable: true,
      hint: 'a transient Cloud Storage failure; run the command again',
    });
  }
  return new GcsRequestError(status, 'E_INVALID_REQUEST', message);
}

export function errorFromNetwork(error: unknown, what: string): StratoError {
  if (error instanceof StratoError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  if (isNetworkError(error)) {
    return new StratoError('E_TRANSIENT', `${what}: ${detail}`, {
      cause: error,
      retryable: true,
      hint: 'the connection to Cloud Storage failed; check the network and run the command again',
    });
  }
  return new StratoError('E_IO', `${what}: ${detail}`, { cause: error });
}

/** Worth another attempt: a retryable status or a dropped connection. */
export function isTransient(error: unknown): boolean {
  if (error instanceof GcsRequestError) return isRetryableStatus(error.status);
  if (error instanceof StratoError) return error.code === 'E_TRANSIENT';
  return isNetworkError(error);
}
