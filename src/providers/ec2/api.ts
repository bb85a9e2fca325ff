/**
 * The AWS clients of the `ec2` provider for a caller's environment (region,
 * endpoint — AWS_ENDPOINT_URL_EC2, then AWS_ENDPOINT_URL: how tests reach
 * moto — and keys from that environment, not this process's), what the
 * provider reads from its training stack through CloudFormation, and EC2
 * errors translated at this edge.
 */

import {
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { StratoError } from '../../errors.ts';
import { createCloudFormationClient } from '../../infra/aws/client.ts';
import { CREDENTIALS_HINT, isMissingCredentials } from '../../infra/aws/errors.ts';

/** The region of a job: the spec's, else the environment's. */
export function ec2RegionOf(env: NodeJS.ProcessEnv, region: string | undefined): string {
  const resolved = region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!resolved) {
    throw new StratoError(
      'E_USAGE',
      'no AWS region for the ec2 job: provider.region is unset and so is AWS_REGION',
      {
        hint: "Set provider.region to the stack's region, or export AWS_REGION=us-east-1.",
      },
    );
  }
  return resolved;
}

export function ec2EndpointOf(env: NodeJS.ProcessEnv): string | undefined {
  return env.AWS_ENDPOINT_URL_EC2 ?? env.AWS_ENDPOINT_URL;
}

export function createEc2Client(
  env: NodeJS.ProcessEnv,
  region: string,
  endpoint: string | undefined,
): EC2Client {
  const keys =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {};
  return new EC2Client({ region, ...(endpoint ? { endpoint } : {}), ...keys, maxAttempts: 3 });
}

/** What a job needs from its training stack (infra/aws/training-stack.ts outputs and resources). */
export interface StackFacts {
  launchTemplateId: string;
  /** The template's latest version at the stack's last deploy (absent from stacks deployed before it was an output). */
  launchTemplateVersion?: string;
  instanceType: string;
  bucket: string;
  subnetId: string;
}

export async function readStack(env: NodeJS.ProcessEnv, region: string, stack: string): Promise<StackFacts> {
  const cfn = createCloudFormationClient({ ...env, AWS_REGION: region }, region);
  const deployHint = `deploy it first: strato infra deploy infra/aws/app.ts -c stackName=${stack} -c region=${region}`;
  try {
    let found: Stack | undefined;
    try {
      found = (await cfn.send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0];
    } catch (error) {
      if (/does not exist/i.test((error as Error).message ?? '')) found = undefined;
      else throw error;
    }
    if (!found || !/_COMPLETE$/.test(found.StackStatus ?? '') || found.StackStatus?.startsWith('DELETE')) {
      throw new StratoError(
        'E_NOT_FOUND',
        `AWS stack ${stack} ${found ? `is ${found.StackStatus}` : 'does not exist'} in ${region}`,
        { hint: deployHint },
      );
    }
    const outputs = Object.fromEntries(
      (found.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
    );
    const resources =
      (await cfn.send(new DescribeStackResourcesCommand({ StackName: stack }))).StackResources ?? [];
    const subnetId = resources.find((r) => r.ResourceType === 'AWS::EC2::Subnet')?.PhysicalResourceId;
    const missing = ['LaunchTemplateId', 'InstanceType', 'BucketName'].filter((k) => !outputs[k]);
    if (missing.length > 0 || !subnetId) {
      throw new StratoError(
        'E_SPEC_INVALID',
        `AWS stack ${stack} is not a Strato training stack: it has no ${[...missing, ...(subnetId ? [] : ['subnet'])].join(', ')}`,
        { hint: `provider.stack names a stack made from infra/aws/app.ts; ${deployHint}` },
      );
    }
    return {
      launchTemplateId: outputs.LaunchTemplateId!,
      ...(outputs.LaunchTemplateVersion ? { launchTemplateVersion: outputs.LaunchTemplateVersion } : {}),
      instanceType: outputs.InstanceType!,
      bucket: outputs.BucketName!,
      subnetId,
    };
  } catch (error) {
    throw translateEc2Error(error, `read stack ${stack}`);
  } finally {
    cfn.destroy();
  }
}

/** An EC2 (or CloudFormation) SDK error as a StratoError, keeping AWS's words and adding the fix. */
export function translateEc2Error(error: unknown, action: string): StratoError {
  if (error instanceof StratoError) return error;
  const e = error as {
    name?: string;
    Code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const code = e?.name ?? e?.Code ?? '';
  const message = `could not ${action}: ${e?.message ?? String(error)}`;
  if (isMissingCredentials(error))
    return new StratoError('E_AUTH', message, { hint: CREDENTIALS_HINT, cause: error });
  if (/UnauthorizedOperation|AuthFailure|AccessDenied/.test(code)) {
    return new StratoError('E_AUTH', message, {
      hint: 'The identity needs ec2:RunInstances, ec2:CreateTags, ec2:DescribeInstances, ec2:TerminateInstances, iam:PassRole on the worker role, and cloudformation:Describe* on the stack.',
      cause: error,
    });
  }
  if (/InsufficientInstanceCapacity|SpotMaxPriceTooLow|InsufficientCapacity/.test(code)) {
    return new StratoError('E_NO_CAPACITY', message, {
      hint: 'The zone has no capacity for this type now: try spot: false (or true: another pool), another availabilityZone for the stack, or later.',
      cause: error,
      retryable: true,
    });
  }
  if (/InstanceLimitExceeded|VcpuLimitExceeded|MaxSpotInstanceCountExceeded/.test(code)) {
    return new StratoError('E_QUOTA', message, {
      hint: 'Raise the quota in the Service Quotas console ("Running On-Demand G and VT instances" or "All G and VT Spot Instance Requests"), or ask for fewer replicas.',
      cause: error,
    });
  }
  const transient =
    (e?.$metadata?.httpStatusCode ?? 0) >= 500 || /Throttling|RequestLimitExceeded/.test(code);
  return new StratoError(transient ? 'E_TRANSIENT' : 'E_INVALID_REQUEST', message, {
    cause: error,
    ...(transient ? { retryable: true } : {}),
  });
}
