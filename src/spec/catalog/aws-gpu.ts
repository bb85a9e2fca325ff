/**
 * EC2 GPU instance types a training stack may launch: GPUs per instance, the
 * GPU model, and the regions that offer the family.
 *
 * Each family row cites its source:
 * - g5:  https://aws.amazon.com/ec2/instance-types/g5/ (NVIDIA A10G, 24 GB)
 * - g6:  https://aws.amazon.com/ec2/instance-types/g6/ (NVIDIA L4, 24 GB)
 * - p4d: https://aws.amazon.com/ec2/instance-types/p4/ (NVIDIA A100 40 GB, 400 Gbps EFA)
 * - p5:  https://aws.amazon.com/ec2/instance-types/p5/ (NVIDIA H100 80 GB, 3200 Gbps EFA)
 * Regions: https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-regions.html
 * (a subset: the regions listed there for every size of the family). A region
 * missing here is refused at synth with this list, not guessed.
 */

export interface AwsGpuFamily {
  family: string;
  gpuModel: string;
  gpuMemoryGb: number;
  /** Instance size → GPUs per instance. */
  sizes: Readonly<Record<string, number>>;
  regions: readonly string[];
  source: string;
}

export const AWS_GPU_FAMILIES = [
  {
    family: 'g5',
    gpuModel: 'NVIDIA A10G',
    gpuMemoryGb: 24,
    sizes: {
      xlarge: 1,
      '2xlarge': 1,
      '4xlarge': 1,
      '8xlarge': 1,
      '16xlarge': 1,
      '12xlarge': 4,
      '24xlarge': 4,
      '48xlarge': 8,
    },
    regions: [
      'us-east-1',
      'us-east-2',
      'us-west-2',
      'ca-central-1',
      'eu-central-1',
      'eu-west-1',
      'eu-west-2',
      'ap-northeast-1',
      'ap-northeast-2',
      'ap-south-1',
    ],
    source: 'https://aws.amazon.com/ec2/instance-types/g5/',
  },
  {
    family: 'g6',
    gpuModel: 'NVIDIA L4',
    gpuMemoryGb: 24,
    sizes: {
      xlarge: 1,
      '2xlarge': 1,
      '4xlarge': 1,
      '8xlarge': 1,
      '16xlarge': 1,
      '12xlarge': 4,
      '24xlarge': 4,
      '48xlarge': 8,
    },
    regions: ['us-east-1', 'us-east-2', 'us-west-2', 'eu-central-1', 'eu-west-2', 'ap-northeast-1'],
    source: 'https://aws.amazon.com/ec2/instance-types/g6/',
  },
  {
    family: 'p4d',
    gpuModel: 'NVIDIA A100 40GB',
    gpuMemoryGb: 40,
    sizes: { '24xlarge': 8 },
    regions: ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-northeast-1'],
    source: 'https://aws.amazon.com/ec2/instance-types/p4/',
  },
  {
    family: 'p5',
    gpuModel: 'NVIDIA H100 80GB',
    gpuMemoryGb: 80,
    sizes: { '48xlarge': 8 },
    regions: ['us-east-1', 'us-east-2', 'us-west-2'],
    source: 'https://aws.amazon.com/ec2/instance-types/p5/',
  },
] as const satisfies readonly AwsGpuFamily[];

export interface AwsGpuInstanceType {
  instanceType: string;
  family: AwsGpuFamily;
  gpus: number;
}

/** Every instance type in the catalog, e.g. `g5.xlarge`. */
export const AWS_GPU_INSTANCE_TYPES: readonly AwsGpuInstanceType[] = AWS_GPU_FAMILIES.flatMap((family) =>
  Object.entries(family.sizes).map(([size, gpus]) => ({
    instanceType: `${family.family}.${size}`,
    family,
    gpus,
  })),
);

/** The catalog row for `g5.xlarge` and the like, or undefined for a type without GPUs or unknown here. */
export function findAwsGpuInstanceType(instanceType: string): AwsGpuInstanceType | undefined {
  return AWS_GPU_INSTANCE_TYPES.find((t) => t.instanceType === instanceType);
}
