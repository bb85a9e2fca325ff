/**
 * A small client of a Google JSON REST API over fetch, for services Strato
 * has no client library for (IAM, Resource Manager, Artifact Registry). The
 * access token comes from the auth client `@google-cloud/storage` carries
 * (Application Default Credentials); an `http://` endpoint (a fake on
 * loopback) gets none. Errors are translated at this edge, keeping the
 * service's message; transient ones are retried (callers send only what is
 * safe to repeat).
 */

import { StratoError } from '../errors.ts';
import { type Endpoint, parseEndpoint } from '../internal/endpoint.ts';
import { type RetryPolicy, withRetry } from '../internal/retry.ts';

/** Five calls over ~15 s at worst, as the Compute client. */
export const JSON_API_RETRY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 8000 };
export const AUTH_HINT =
  'run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a key file';

export interface JsonApiOptions {
  /** Where it is: see `jsonApiEndpoint`. */
  endpoint: Pick<Endpoint, 'tls' | 'url'>;
  /** `the IAM API`, for messages. */
  service: string;
  /** What a 403 should say the deploying account needs. */
  permissionHint: string;
  retry?: RetryPolicy;
}

export interface JsonApi {
  /** `path` is relative to the endpoint (`v1/projects/…`). */
  request<T>(method: string, path: string, action: string, body?: unknown): Promise<T>;
}

class HttpError extends Error {
  readonly status: number;
  /** The `error.status` word: `ABORTED`, `ALREADY_EXISTS`, … */
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

/**
 * The endpoint to use: the one given (option or environment variable,
 * named in errors), else Google's host.
 */
export function jsonApiEndpoint(
  configured: string | undefined,
  source: string,
  googleHost: string,
): Pick<Endpoint, 'tls' | 'url'> {
  return configured ? parseEndpoint(configured, source) : { tls: true, url: `https://${googleHost}` };
}

function translate(error: unknown, action: string, options: JsonApiOptions): StratoError {
  if (error instanceof StratoError) return error;
  if (!(error instanceof HttpError)) {
    return new StratoError('E_TRANSIENT', `${action}: ${(error as Error).message}`, {
      cause: error,
      hint: `${options.service} could not be reached; check the network (or the endpoint) and run again`,
    });
  }
  const what = `${action}: ${error.message}`;
  if (error.status === 401)
    return new StratoError('E_AUTH', `${action}: no valid Google Cloud credentials`, {
      cause: error,
      hint: AUTH_HINT,
    });
  if (error.status === 403)
    return new StratoError('E_AUTH', `${what} (permission denied)`, {
      cause: error,
      hint: options.permissionHint,
    });
  if (error.status === 404) return new StratoError('E_NOT_FOUND', what, { cause: error });
  // ABORTED: a concurrent change (a stale etag); the whole read-modify-write may be run again.
  if (error.status === 409 && error.reason === 'ABORTED')
    return new StratoError('E_CONFLICT', what, { cause: error, retryable: true });
  if (error.status === 409) return new StratoError('E_CONFLICT', what, { cause: error });
  if (error.status === 400) return new StratoError('E_INVALID_REQUEST', what, { cause: error });
  if (error.status === 429 || error.status >= 500)
    return new StratoError('E_TRANSIENT', what, {
      cause: error,
      hint: `a transient failure of ${options.service}; run the command again`,
    });
  return new StratoError('E_INTERNAL', what, { cause: error });
}

/** A bearer token source from Application Default Credentials, made on first use. */
function tokenSource(): () => Promise<string> {
  let token: Promise<() => Promise<string>> | undefined;
  return async () => {
    token ??= (async () => {
      const { Storage } = await import('@google-cloud/storage');
      const auth = new Storage().authClient;
      return async () => {
        try {
          const value = await auth.getAccessToken();
          if (!value) throw new Error('no access token');
          return value;
        } catch (error) {
          throw new StratoError(
            'E_AUTH',
            `no Google Cloud credentials: ${(error as Error).message.split('\n')[0]}`,
            { cause: error, hint: AUTH_HINT },
          );
        }
      };
    })();
    return (await token)();
  };
}

export function createJsonApi(options: JsonApiOptions): JsonApi {
  const token = tokenSource();
  const retry = options.retry ?? JSON_API_RETRY;
  return {
    request<T>(method: string, path: string, action: string, body?: unknown): Promise<T> {
      return withRetry(
        retry,
        async () => {
          try {
            const response = await fetch(`${options.endpoint.url}/${path}`, {
              method,
              headers: {
                ...(body === undefined ? {} : { 'content-type': 'application/json' }),
                ...(options.endpoint.tls ? { authorization: `Bearer ${await token()}` } : {}),
              },
              ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            });
            const text = await response.text();
            const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
            if (!response.ok) {
              const error = (parsed.error ?? {}) as { message?: string; status?: string };
              throw new HttpError(
                response.status,
                error.status ?? '',
                error.message ?? `HTTP ${response.status}`,
              );
            }
            return parsed as T;
          } catch (error) {
            throw translate(error, action, options);
          }
        },
        { shouldRetry: (error) => error instanceof StratoError && error.code === 'E_TRANSIENT' },
      );
    },
  };
}
