/**
 * The training stack's props: one zod schema, validated before any construct
 * is made, so a bad value is refused at synth with its field, the value, what
 * is allowed and the fix (src/errors.ts) instead of surfacing as a
 * CloudFormation failure halfway through a deploy.
 */

import { z } from 'zod';
import { SpecError, type SpecIssue } from '../../src/errors.ts';
import {
  AWS_GPU_FAMILIES,
  AWS_GPU_INSTANCE_TYPES,
  findAwsGpuInstanceType,
} from '../../src/spec/catalog/aws-gpu.ts';

/**
 * S3 bucket naming rules: 3–63 characters of lowercase letters, digits, dots
 * and hyphens, starting and ending with a letter or digit; not an IP address;
 * not starting `xn--`, `sthree-` or ending `-s3alias`, `--ol-s3`.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name))
    return 'may hold only lowercase letters, digits, dots and hyphens, and must start and end with a letter or digit';
  if (name.includes('..')) return 'must not contain two adjacent dots';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'must not be formatted as an IP address';
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name) || /(-s3alias|--ol-s3|--x-s3)$/.test(name))
    return 'uses a prefix or suffix AWS reserves (xn--, sthree-, -s3alias, --ol-s3, --x-s3)';
  return undefined;
}

export const TrainingStackPropsSchema = z
  .object({
    region: z
      .string()
      .min(1)
      .describe('AWS region to deploy in, e.g. us-east-1; must offer the instance type.'),
    availabilityZone: z
      .string()
      .optional()
      .describe(
        'The one zone the cluster runs in (a cluster placement group spans one zone). Default: `<region>a`.',
      ),
    instanceType: z
      .string()
      .default('g5.xlarge')
      .describe('EC2 GPU instance type from src/spec/catalog/aws-gpu.ts.'),
    instanceCount: z
      .number()
      .int()
      .min(0)
      .max(64)
      .default(1)
      .describe('GPU instances to run (0: network and bucket only).'),
    gpusPerInstance: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'GPUs each instance must have; refused when the type has fewer. Default: whatever the type has.',
      ),
    spot: z
      .boolean()
      .default(false)
      .describe('Launch the instances as one-time spot requests (terminated on interruption).'),
    rootVolumeGb: z
      .number()
      .int()
      .min(75)
      .max(16_384)
      .default(200)
      .describe('Encrypted gp3 root volume size; the DLAMI needs 75 GB.'),
    bucketName: z.string().optional().describe('Data bucket name; default: one CloudFormation generates.'),
    checkpointRetentionDays: z
      .number()
      .int()
      .min(1)
      .default(30)
      .describe('Days before objects under checkpoints/ expire.'),
    runsInfrequentAccessDays: z
      .number()
      .int()
      .min(30)
      .default(30)
      .describe('Days before objects under runs/ move to Standard-IA (S3 requires at least 30).'),
    removeBucketOnDestroy: z
      .boolean()
      .default(false)
      .describe(
        'Delete the data bucket with the stack (it must be empty; nothing is emptied for you). Default: retained.',
      ),
    amiSsmParameter: z
      .string()
      .default('/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id')
      .describe('Public SSM parameter naming the Deep Learning AMI (see the DLAMI release notes).'),
  })
  .strict();

export type TrainingStackInput = z.input<typeof TrainingStackPropsSchema>;
export type TrainingStackProps = z.output<typeof TrainingStackPropsSchema> & { availabilityZone: string };

/** Parses and checks the props; throws a SpecError listing every problem. */
export function parseTrainingStackProps(input: unknown): TrainingStackProps {
  const parsed = TrainingStackPropsSchema.safeParse(input);
  if (!parsed.success) {
    throw new SpecError(
      parsed.error.issues.map((issue) => ({
        path: issue.path.join('.'),
        message: issue.message,
        received: issue.path.reduce<unknown>(
          (v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
          input,
        ),
        fix: 'See infra/aws/props.ts for what each prop takes.',
      })),
      'training stack props',
    );
  }
  const props = parsed.data;
  const issues: SpecIssue[] = [];
  const type = findAwsGpuInstanceType(props.instanceType);
  if (!type) {
    issues.push({
      path: 'instanceType',
      message: 'is not a GPU instance type in the catalog',
      received: props.instanceType,
      allowed: AWS_GPU_INSTANCE_TYPES.map((t) => t.instanceType),
      fix: 'Pick a GPU type (g5, g6, p4d, p5); CPU types have no GPUs to train on.',
    });
  } else {
    if (!type.family.regions.includes(props.region)) {
      issues.push({
        path: 'region',
        message: `does not offer ${type.family.family} instances (per ${type.family.source})`,
        received: props.region,
        allowed: type.family.regions,
        fix: `Deploy in one of the listed regions, or pick a family the region offers (${familiesIn(props.region) || 'none in the catalog'}).`,
      });
    }
    if (props.gpusPerInstance !== undefined && type.gpus < props.gpusPerInstance) {
      issues.push({
        path: 'gpusPerInstance',
        message: `asks for more GPUs than ${props.instanceType} has (${type.gpus})`,
        received: props.gpusPerInstance,
        allowed: AWS_GPU_INSTANCE_TYPES.filter((t) => t.gpus >= (props.gpusPerInstance ?? 1)).map(
          (t) => t.instanceType,
        ),
        fix: 'Pick a larger instance type, or ask for fewer GPUs per instance.',
      });
    }
  }
  if (props.bucketName !== undefined) {
    const problem = bucketNameProblem(props.bucketName);
    if (problem)
      issues.push({
        path: 'bucketName',
        message: `is not a valid S3 bucket name: it ${problem}`,
        received: props.bucketName,
        fix: 'Use lowercase letters, digits and hyphens, e.g. my-team-training-data; or leave it out for a generated name.',
      });
  }
  const availabilityZone = props.availabilityZone ?? `${props.region}a`;
  if (!availabilityZone.startsWith(props.region))
    issues.push({
      path: 'availabilityZone',
      message: `is not in region ${props.region}`,
      received: availabilityZone,
      fix: `Name a zone of ${props.region}, e.g. ${props.region}a.`,
    });
  if (issues.length > 0) throw new SpecError(issues, 'training stack props');
  return { ...props, availabilityZone };
}

function familiesIn(region: string): string {
  return AWS_GPU_FAMILIES.filter((f) => (f.regions as readonly string[]).includes(region))
    .map((f) => f.family)
    .join(', ');
}
