/**
 * CloudFormation and credential errors, translated at the edge: the
 * service's words kept, the fix added (which `aws` command, which resource
 * failed and why).
 */

import { StratoError } from '../../errors.ts';

export const CREDENTIALS_HINT =
  'Configure AWS credentials: `aws configure` (access keys) or `aws sso login --profile NAME` then AWS_PROFILE=NAME; ' +
  'check with `aws sts get-caller-identity`.';

/** True for the SDK's "no credentials anywhere in the chain" failures. */
export function isMissingCredentials(error: unknown): boolean {
  const e = error as { name?: string; message?: string } | undefined;
  return (
    e?.name === 'CredentialsProviderError' ||
    /Could not load credentials|Unable to locate credentials|Token is expired|SSO session/i.test(
      e?.message ?? '',
    )
  );
}

/** One failed resource, from the stack's events. */
export interface ResourceFailure {
  logicalId: string;
  type: string;
  status: string;
  reason: string;
}

export function translateAwsError(error: unknown, action: string, stackName: string): StratoError {
  if (error instanceof StratoError) return error;
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const message = e?.message ?? String(error);
  if (isMissingCredentials(error)) {
    return new StratoError('E_AUTH', `no AWS credentials to ${action} stack ${stackName}: ${message}`, {
      hint: CREDENTIALS_HINT,
      cause: error,
    });
  }
  if (e?.name === 'AccessDenied' || e?.name === 'AccessDeniedException' || /not authorized/i.test(message)) {
    return new StratoError('E_AUTH', `AWS refused to ${action} stack ${stackName}: ${message}`, {
      hint: 'The identity needs cloudformation:* on the stack plus the permissions of its resources (ec2, s3, iam, logs, ssm:GetParameters).',
      cause: error,
    });
  }
  if (e?.name === 'InsufficientCapabilitiesException') {
    return new StratoError('E_INVALID_REQUEST', `${action} ${stackName}: ${message}`, {
      cause: error,
      hint: 'This is a bug in Strato: it passes CAPABILITY_IAM.',
    });
  }
  if (e?.name === 'DependencyViolation' || /DependencyViolation|has dependencies/.test(message)) {
    return new StratoError('E_CONFLICT', `could not ${action} stack ${stackName}: ${message}`, {
      hint: 'Something outside the stack still uses its network (an instance or endpoint started by hand?): `aws ec2 describe-instances --filters Name=vpc-id,Values=VPC` lists them; remove them and run destroy again.',
      cause: error,
    });
  }
  const transient = (e?.$metadata?.httpStatusCode ?? 0) >= 500 || e?.name === 'Throttling';
  return new StratoError(
    transient ? 'E_TRANSIENT' : 'E_INVALID_REQUEST',
    `could not ${action} stack ${stackName}: ${message}`,
    {
      cause: error,
      ...(transient
        ? { hint: 'CloudFormation answered with a server error; run the same command again.' }
        : {}),
    },
  );
}

/** The error for a stack that ended FAILED or rolled back, naming each failed resource and its reason. */
export function stackFailedError(
  stackName: string,
  status: string,
  failures: ResourceFailure[],
): StratoError {
  const lines = failures.map((f) => `  ${f.logicalId} (${f.type}) ${f.status}: ${f.reason}`);
  const first = failures[0];
  return new StratoError(
    'E_INVALID_REQUEST',
    [`stack ${stackName} is ${status}${failures.length ? '; failed resources:' : ''}`, ...lines].join('\n'),
    { hint: failureFix(status, first) },
  );
}

function failureFix(status: string, first: ResourceFailure | undefined): string {
  const reason = first?.reason ?? '';
  if (/limit|quota|VcpuLimitExceeded|InstanceLimitExceeded/i.test(reason))
    return 'Raise the quota (Service Quotas console: "Running On-Demand G and VT instances" or "All G and VT Spot Instance Requests"), or ask for fewer or smaller instances; then run deploy again.';
  if (/InsufficientInstanceCapacity|capacity/i.test(reason))
    return 'The zone has no capacity for this type now: try another availabilityZone, spot=false, or later.';
  if (/already exists/i.test(reason))
    return 'A resource with that name exists outside the stack: pick another name (bucketName) or delete the other one.';
  if (status === 'ROLLBACK_COMPLETE' || status === 'ROLLBACK_FAILED' || status.endsWith('_FAILED'))
    return 'Fix the cause above, then run deploy again (a stack that never got created is deleted and created anew) or `strato infra destroy`.';
  return 'Fix the cause above and run deploy again; the stack rolled back to its last working template.';
}
