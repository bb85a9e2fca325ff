/**
 * Errors in Compute Engine's JSON shape:
 * `{"error": {"code", "message", "errors": [{"message", "domain", "reason"}]}}`
 * (https://cloud.google.com/compute/docs/api/how-tos/api-requests-responses#handling_api_errors),
 * with the messages the service writes, so gcloud and the client library show what they would show.
 */

export class ComputeHttpError extends Error {
  readonly status: number;
  readonly reason: string;

  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }

  body() {
    return {
      error: {
        code: this.status,
        message: this.message,
        errors: [{ message: this.message, domain: 'global', reason: this.reason }],
      },
    };
  }
}

/** `Invalid value for field 'resource.machineType': '…'. Why.` — the service's wording for a refused field. */
export function invalidField(field: string, value: unknown, why: string): ComputeHttpError {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return new ComputeHttpError(400, 'invalid', `Invalid value for field '${field}': '${shown}'. ${why}`);
}

export const notFound = (resource: string) =>
  new ComputeHttpError(404, 'notFound', `The resource '${resource}' was not found`);
export const alreadyExists = (resource: string) =>
  new ComputeHttpError(409, 'alreadyExists', `The resource '${resource}' already exists`);
export const badRequest = (message: string) => new ComputeHttpError(400, 'badRequest', message);
export const inUse = (resource: string, user: string) =>
  new ComputeHttpError(
    400,
    'resourceInUseByAnotherResource',
    `The ${resource.includes('/networks/') ? 'network' : 'resource'} resource '${resource}' is already being used by '${user}'`,
  );
export const fingerprintMismatch = (field: string) =>
  new ComputeHttpError(
    412,
    'conditionNotMet',
    `Supplied fingerprint does not match current fingerprint of '${field}'.`,
  );
