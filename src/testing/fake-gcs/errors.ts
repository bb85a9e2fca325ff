/**
 * Errors the fake answers with, in the JSON API's shape:
 * `{"error": {"code", "message", "errors": [{"domain", "reason", "message"}]}}`
 * (https://cloud.google.com/storage/docs/json_api/v1/status-codes).
 */

export class GcsHttpError extends Error {
  readonly status: number;
  readonly reason: string;

  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }

  body(): {
    error: { code: number; message: string; errors: { domain: string; reason: string; message: string }[] };
  } {
    return {
      error: {
        code: this.status,
        message: this.message,
        errors: [{ domain: 'global', reason: this.reason, message: this.message }],
      },
    };
  }
}

export const notFound = (message: string) => new GcsHttpError(404, 'notFound', message);
export const badRequest = (message: string) => new GcsHttpError(400, 'invalid', message);
export const conflict = (message: string) => new GcsHttpError(409, 'conflict', message);
export const preconditionFailed = (message: string) => new GcsHttpError(412, 'conditionNotMet', message);
