/**
 * The CloudFormation client for a caller's environment: region, endpoint
 * (AWS_ENDPOINT_URL_CLOUDFORMATION, then AWS_ENDPOINT_URL — how tests reach
 * moto) and credentials from that environment's AWS chain, not this
 * process's. Errors are translated at this edge (errors.ts).
 */

import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { StratoError } from '../../errors.ts';

export function createCloudFormationClient(
  env: NodeJS.ProcessEnv,
  region: string | undefined,
): CloudFormationClient {
  const resolvedRegion = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? region;
  if (!resolvedRegion) {
    throw new StratoError('E_USAGE', 'no AWS region: the stack names none and AWS_REGION is not set', {
      hint: 'Set AWS_REGION (e.g. export AWS_REGION=us-east-1), or `aws configure set region us-east-1`.',
    });
  }
  const endpoint = env.AWS_ENDPOINT_URL_CLOUDFORMATION ?? env.AWS_ENDPOINT_URL;
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
  return new CloudFormationClient({
    region: resolvedRegion,
    ...(endpoint ? { endpoint } : {}),
    ...keys,
    maxAttempts: 3,
  });
}
