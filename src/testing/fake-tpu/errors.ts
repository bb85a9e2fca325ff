/** Errors the fake answers with, in the shape of Google's JSON error body (google.rpc.Status over HTTP). */

const HTTP_OF_STATUS = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  RESOURCE_EXHAUSTED: 429,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ApiStatus = keyof typeof HTTP_OF_STATUS;

/** google/rpc/code.proto numbers, for a failed queued resource's `error`. */
export const RPC_CODE: Record<ApiStatus, number> = {
  INVALID_ARGUMENT: 3,
  FAILED_PRECONDITION: 9,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
  INTERNAL: 13,
};

export class ApiError extends Error {
  readonly status: ApiStatus;

  constructor(status: ApiStatus, message: string) {
    super(message);
    this.status = status;
  }

  get httpStatus(): number {
    return HTTP_OF_STATUS[this.status];
  }

  toJSON(): { error: { code: number; message: string; status: string } } {
    return { error: { code: this.httpStatus, message: this.message, status: this.status } };
  }
}

/** The error body for an injected HTTP status (e.g. 503). */
export function injectedError(httpStatus: number): {
  error: { code: number; message: string; status: string };
} {
  const status =
    (Object.entries(HTTP_OF_STATUS).find(([, code]) => code === httpStatus)?.[0] as string | undefined) ??
    'UNKNOWN';
  return { error: { code: httpStatus, message: `fake Cloud TPU: injected ${httpStatus}`, status } };
}
