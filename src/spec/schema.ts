/**
 * The job spec: what to run, on what, where. The single source of truth for
 * field names, types, defaults and descriptions; the JSON Schema in
 * `templates/` is generated from it. Cross-field rules (catalog pairs,
 * provider needs) live in `rules.ts`, strategy rules in `src/strategies`.
 */

import { z } from 'zod';
import { GPU_TYPE_IDS } from './catalog/gpu.ts';

export const API_VERSION = 'strato.dev/v1';

/** The `tf.distribute` strategies a spec may name (DTensor is `mesh` on top of one of them). */
export const STRATEGIES = [
  'one-device',
  'mirrored',
  'multi-worker-mirrored',
  'parameter-server',
  'tpu',
] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** Where a job may run: this machine, Vertex AI, Cloud TPU VMs, Compute Engine VMs, or EC2 GPU instances. */
export const PROVIDER_NAMES = ['local', 'vertex', 'tpu-vm', 'gce', 'ec2'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** Names that end up in hostnames, labels and bucket paths: RFC 1035 labels, short enough for suffixes. */
const NAME_PATTERN = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** GCP label keys and values: https://cloud.google.com/compute/docs/labeling-resources#requirements */
const LABEL_KEY_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE_PATTERN = /^[a-z0-9_-]{0,63}$/;
/** https://cloud.google.com/resource-manager/docs/creating-managing-projects#before_you_begin */
const PROJECT_PATTERN = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REGION_PATTERN = /^[a-z]+-[a-z]+[0-9]+$/;
const ZONE_PATTERN = /^[a-z]+-[a-z]+[0-9]+-[a-z]$/;
const URI_PATTERN = /^(gs|s3|file):\/\/.+/;
/** `<stack>/<name>`: machines an infra stack deployed (`strato infra outputs <stack>`). */
const STACK_REF_PATTERN = /^[a-z][-a-z0-9]*\/[A-Za-z0-9][-A-Za-z0-9_]*$/;
/** CloudFormation stack names: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html */
const CFN_STACK_PATTERN = /^[A-Za-z][-A-Za-z0-9]{0,127}$/;
/** AWS regions: us-east-1, ap-southeast-2, us-gov-west-1. */
const AWS_REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/;

export const envName = () =>
  z
    .string()
    .regex(
      ENV_NAME_PATTERN,
      'must be an environment variable name: letters, digits and _, not starting with a digit',
    );

const objectStoreUri = () =>
  z
    .string()
    .regex(URI_PATTERN, 'must be an object-store URI: gs://bucket/path, s3://bucket/path or file:///path');

export const GpuAcceleratorSchema = z
  .strictObject({
    type: z
      .enum(GPU_TYPE_IDS)
      .describe('GPU type, as Compute Engine names it (e.g. nvidia-tesla-t4, nvidia-l4).'),
    count: z.number().int().min(1).describe('GPUs per replica. Must be a count the machine type takes.'),
  })
  .describe('GPUs attached to each replica of this role.');

export const TpuResourceSchema = z
  .strictObject({
    type: z
      .string()
      .describe('TPU accelerator type (slice), e.g. v4-8, v4-32, v5litepod-16 (or v5e-16), v5p-8, v6e-8.'),
    topology: z
      .string()
      .regex(/^\d+x\d+(x\d+)?$/, 'must look like 2x2 or 2x2x4')
      .optional()
      .describe('Chip topology, e.g. 2x2x4. Defaults to the standard topology of the slice.'),
    runtimeVersion: z
      .string()
      .describe(
        'TPU VM software version, pattern tpu-vm-tf-X.Y.Z[-pod][-pjrt|-se]; "-pod" for multi-host slices.',
      ),
  })
  .describe('A Cloud TPU slice. Every host of the slice is a replica of this role.');

const roleFields = {
  machineType: z
    .string()
    // Google Cloud's `n1-standard-8`, or an EC2 instance type `g5.12xlarge` (provider ec2).
    .regex(
      /^([a-z][a-z0-9]*(-[a-z0-9]+)+|[a-z][a-z0-9-]*\.[a-z0-9]+)$/,
      'must be a machine type name such as n1-standard-8 (or an EC2 instance type such as g5.xlarge)',
    )
    .optional()
    .describe(
      'Machine type, e.g. n1-standard-8, a2-highgpu-4g, g2-standard-12; on ec2 an instance type such as g5.xlarge. Required on Google Cloud providers.',
    ),
  accelerator: GpuAcceleratorSchema.optional(),
  tpu: TpuResourceSchema.optional(),
  diskSizeGb: z.number().int().min(10).max(65536).optional().describe('Boot disk size in GB.'),
};

export const RoleResourcesSchema = z.strictObject(roleFields).describe('Resources of a single-replica role.');

export const ReplicatedRoleResourcesSchema = z
  .strictObject({
    replicas: z
      .number()
      .int()
      .min(1)
      .max(4096)
      .default(1)
      .describe('Number of replicas of this role. Default 1.'),
    ...roleFields,
  })
  .describe('Resources of a role with one or more replicas.');

export const ResourcesSchema = z
  .strictObject({
    chief: RoleResourcesSchema.optional().describe(
      'The chief: coordinates parameter-server training; optional in multi-worker-mirrored (worker 0 leads otherwise).',
    ),
    workers: ReplicatedRoleResourcesSchema.optional().describe(
      'Workers. For one-device and mirrored the single replica; for tpu the slice (its hosts are the workers).',
    ),
    ps: ReplicatedRoleResourcesSchema.optional().describe(
      'Parameter servers (parameter-server strategy only).',
    ),
    evaluator: RoleResourcesSchema.optional().describe(
      'A side-car evaluator: runs outside the training cluster and reads checkpoints.',
    ),
  })
  .describe('Resources per role.');

export const ContainerSchema = z
  .strictObject({
    image: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Container image, e.g. us-docker.pkg.dev/my-project/trainers/tf-gpu:2.16. Required on cloud providers.',
      ),
    command: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('Program and its arguments; replaces the image entrypoint. Required for the local provider.'),
    args: z.array(z.string()).default([]).describe('Extra arguments appended to the command.'),
    env: z
      .record(envName(), z.string())
      .default({})
      .describe('Environment variables for every replica (the strategy adds TF_CONFIG and friends).'),
    workingDir: z
      .string()
      .optional()
      .describe('Working directory of the program. Local provider: relative to the spec file.'),
  })
  .describe('What each replica runs.');

export const DataSchema = z
  .strictObject({
    source: z
      .string()
      .min(1)
      .describe('Local folder or file to upload (relative to the spec file), or an object-store URI.'),
    destination: objectStoreUri()
      .optional()
      .describe('Where the data goes; default: <output>/data/<basename of source>.'),
    env: envName().describe('Environment variable through which replicas find the data, e.g. DATA_DIR.'),
  })
  .describe('Training data pushed before the job starts.');

export const SchedulingSchema = z
  .strictObject({
    spot: z.boolean().default(false).describe('Run on Spot (preemptible) capacity. Default false.'),
    timeoutSec: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'Stop the job after this many seconds of running. Default: no limit on local, 7 days on Vertex. Kept by local, vertex and gce on its own VMs; refused on tpu-vm, ec2 and standing machines, which cannot keep it.',
      ),
    maxRestarts: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(0)
      .describe(
        'Restart the whole job from its checkpoints up to this many times after preemption. Default 0.',
      ),
    maxCostUsd: z
      .number()
      .positive()
      .optional()
      .describe(
        'Cancel the job once its estimated spend (machines × list price per hour × running time, over all attempts) reaches this many US dollars. Default: no cap.',
      ),
  })
  .describe('When and how long the job runs.');

const gcpFields = {
  project: z
    .string()
    .regex(PROJECT_PATTERN, 'must be a Google Cloud project id')
    .describe('Google Cloud project id.'),
  serviceAccount: z.email().optional().describe('Service account the replicas run as.'),
  network: z.string().optional().describe('VPC network, e.g. projects/123/global/networks/default.'),
};

export const LocalProviderSchema = z
  .strictObject({ name: z.literal('local') })
  .describe('Run every replica as a process on this machine.');

export const VertexProviderSchema = z
  .strictObject({
    name: z.literal('vertex'),
    ...gcpFields,
    region: z
      .string()
      .regex(REGION_PATTERN, 'must be a region such as us-central1')
      .describe('Vertex AI region.'),
  })
  .describe('Vertex AI CustomJob.');

export const TpuVmProviderSchema = z
  .strictObject({
    name: z.literal('tpu-vm'),
    ...gcpFields,
    zone: z.string().regex(ZONE_PATTERN, 'must be a zone such as us-central2-b').describe('Cloud TPU zone.'),
    slice: z
      .string()
      .regex(STACK_REF_PATTERN, 'must be <stack>/<name>, e.g. training/pod')
      .optional()
      .describe(
        'Run on a standing slice an infra stack deployed with stratoJobs: true (<stack>/<TpuSlice id>, from the stack state under infra/) instead of a queued resource per attempt; the job is handed over by metadata, the slice must be this accelerator type and free, and it is kept after the job.',
      ),
  })
  .describe(
    'Cloud TPU VMs and pod slices: a queued resource per attempt, deleted when the job ends (or a standing slice: `slice`).',
  );

export const GceProviderSchema = z
  .strictObject({
    name: z.literal('gce'),
    ...gcpFields,
    zone: z
      .string()
      .regex(ZONE_PATTERN, 'must be a zone such as us-central1-a')
      .optional()
      .describe('Compute Engine zone of the VMs; or give `zones`.'),
    zones: z
      .array(z.string().regex(ZONE_PATTERN, 'must be a zone such as us-central1-a'))
      .min(1)
      .max(16)
      .optional()
      .describe('Zones the VMs may run in, tried in order when one has no capacity (a stockout).'),
    vms: z
      .string()
      .regex(STACK_REF_PATTERN, 'must be <stack>/<name>, e.g. training/gpus')
      .optional()
      .describe(
        'Run on standing VMs an infra stack deployed with stratoJobs: true (<stack>/<GpuVms id>, from the stack state under infra/) instead of VMs per attempt; one VM per replica, handed over by metadata, kept after the job.',
      ),
  })
  .describe(
    'Compute Engine VMs, one per replica, created per attempt and deleted when the job ends (or standing VMs: `vms`).',
  );

export const Ec2ProviderSchema = z
  .strictObject({
    name: z.literal('ec2'),
    stack: z
      .string()
      .regex(CFN_STACK_PATTERN, 'must be a CloudFormation stack name, e.g. strato-training')
      .describe(
        'The deployed training stack (infra/aws/app.ts) whose launch template, subnet and bucket the instances use.',
      ),
    region: z
      .string()
      .regex(AWS_REGION_PATTERN, 'must be an AWS region such as us-east-1')
      .optional()
      .describe("The stack's region. Default: AWS_REGION (then AWS_DEFAULT_REGION) of the environment."),
  })
  .describe(
    "EC2 GPU instances from a training stack's launch template, one per replica, created per attempt and terminated when the job ends.",
  );

export const ProviderSchema = z
  .discriminatedUnion('name', [
    LocalProviderSchema,
    VertexProviderSchema,
    TpuVmProviderSchema,
    GceProviderSchema,
    Ec2ProviderSchema,
  ])
  .describe('Where the replicas run.');

export const MeshSchema = z
  .record(
    z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case dimension name'),
    z.number().int().min(1),
  )
  .refine((mesh) => Object.keys(mesh).length > 0, 'needs at least one dimension')
  .describe(
    'DTensor mesh: dimension name to size, e.g. {batch: 4, model: 2}. Sizes multiply to the device count.',
  );

/**
 * The job spec (`apiVersion: strato.dev/v1`, `kind: Job`) as a zod schema:
 * unknown fields are errors, defaults are filled in. `parseJobSpec` adds the
 * catalog and strategy rules on top.
 */
export const JobSpecSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference for editors; ignored.'),
    apiVersion: z.literal(API_VERSION).describe(`Spec version; always "${API_VERSION}".`),
    kind: z.literal('Job'),
    name: z
      .string()
      .max(40)
      .regex(NAME_PATTERN, 'must be lower-case letters, digits and "-", starting with a letter')
      .describe('Job name: lower-case letters, digits and "-", at most 40 characters.'),
    strategy: z.enum(STRATEGIES).describe('The tf.distribute strategy the job uses.'),
    mesh: MeshSchema.optional(),
    container: ContainerSchema,
    resources: ResourcesSchema.default({}),
    data: z.array(DataSchema).default([]).describe('Data to upload before the job starts.'),
    output: objectStoreUri()
      .optional()
      .describe(
        'Run dir URI (model/, checkpoints/, logs/). Default on local: $STRATO_HOME/runs/<job id> (STRATO_HOME defaults to ~/.strato).',
      ),
    scheduling: SchedulingSchema.default({ spot: false, maxRestarts: 0 }),
    labels: z
      .record(
        z
          .string()
          .regex(LABEL_KEY_PATTERN, 'must be a label key: lower-case letter first, then a-z, 0-9, _ or -'),
        z.string().regex(LABEL_VALUE_PATTERN, 'must be a label value: up to 63 of a-z, 0-9, _ or -'),
      )
      .default({})
      .describe('Labels put on every cloud resource of the job.'),
    provider: ProviderSchema.default({ name: 'local' }),
  })
  .describe('A Strato training job.');

/** What users write (defaults not yet applied). */
export type JobSpecInput = z.input<typeof JobSpecSchema>;
/** A parsed spec, with defaults applied. */
export type JobSpec = z.output<typeof JobSpecSchema>;
export type RoleResources = z.output<typeof RoleResourcesSchema>;
export type ReplicatedRoleResources = z.output<typeof ReplicatedRoleResourcesSchema>;
export type TpuResource = z.output<typeof TpuResourceSchema>;
export type GpuAccelerator = z.output<typeof GpuAcceleratorSchema>;
export type ProviderSpec = z.output<typeof ProviderSchema>;
export type Mesh = z.output<typeof MeshSchema>;

/** The roles under `resources` (TensorFlow calls the `workers` role `worker`). */
export const ROLE_NAMES = ['chief', 'workers', 'ps', 'evaluator'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];
