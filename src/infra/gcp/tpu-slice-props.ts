/**
 * Props of a TPU slice made through a queued resource (`TpuSlice`, driver
 * kind `tpu.queued-resource`): the zod schema both the construct and the
 * YAML form validate with, and the parsed type the driver takes.
 * (https://cloud.google.com/tpu/docs/queued-resources,
 * https://cloud.google.com/tpu/docs/reference/rest/v2/projects.locations.queuedResources)
 */

import { z } from 'zod';
import type { ResourceRef } from '../construct.ts';

const ZONE = /^[a-z]+-[a-z]+[0-9]+-[a-z]$/;
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;

/** A value given directly, or another resource of the stack (a ServiceAccount, a Network) resolved at deploy. */
const refOr = (schema: z.ZodString) => z.union([schema, z.strictObject({ ref: z.string() })]);

export const TpuSliceSchema = z
  .strictObject({
    project: z.string().min(1).describe("Project; the stack's project when absent."),
    zone: z.string().regex(ZONE, 'must be a zone such as us-central2-b').describe('Cloud TPU zone.'),
    acceleratorType: z
      .string()
      .optional()
      .describe('Slice type, e.g. `v4-32`; or give `generation` and `topology` instead.'),
    generation: z
      .enum(['v2', 'v3', 'v4', 'v5e', 'v5p', 'v6e'])
      .optional()
      .describe("TPU generation, with `topology` (the API's acceleratorConfig)."),
    topology: z
      .string()
      .regex(/^\d+(x\d+){1,2}$/, 'must be chips per dimension, e.g. 2x2x4')
      .optional()
      .describe('Chips per dimension, e.g. `2x2x4`, with `generation`.'),
    runtimeVersion: z.string().min(1).describe('TPU VM image, e.g. `tpu-vm-tf-2.16.1-pod-pjrt`.'),
    provisioning: z
      .enum(['spot', 'guaranteed', 'reserved'])
      .default('guaranteed')
      .describe(
        'Spot (cheap, preemptible), guaranteed (on-demand) or from a reservation. Default guaranteed.',
      ),
    reservationName: z
      .string()
      .optional()
      .describe('With `reserved`: projects/P/locations/Z/reservations/NAME (else any matching reservation).'),
    network: refOr(z.string().min(1))
      .optional()
      .describe('VPC network name or self link; `default` when absent.'),
    subnetwork: refOr(z.string().min(1)).optional().describe('Subnetwork name or self link.'),
    enableExternalIps: z.boolean().default(false).describe('Give workers external IPs. Default false.'),
    serviceAccount: refOr(z.string().email())
      .optional()
      .describe('Service account email the workers run as.'),
    labels: z
      .record(
        z.string().regex(LABEL_KEY, 'must be a label key: lowercase letter first, then a-z 0-9 _ -'),
        z.string().regex(LABEL_VALUE, 'must be a label value: a-z 0-9 _ - (up to 63)'),
      )
      .default({})
      .describe('Labels on the node (Strato adds strato-stack).'),
    metadata: z.record(z.string(), z.string()).default({}).describe('Instance metadata of every worker.'),
    startupScript: z
      .string()
      .optional()
      .describe('Runs on every worker at boot (metadata `startup-script`).'),
    stratoJobs: z
      .boolean()
      .default(false)
      .describe(
        "Put Strato's job agent on every worker (its startup script and strato-standing metadata): jobs with provider { name: tpu-vm, slice: <stack>/<id> } run on the slice and it stays. Not with startupScript.",
      ),
    tags: z.array(z.string()).default([]).describe('Network tags, e.g. for firewall rules.'),
  })
  .describe('A Cloud TPU slice created through a queued resource.');

export type TpuSliceInput = z.input<typeof TpuSliceSchema>;
/** The parsed props, with `stratoJobs` turned into the startup script and metadata it stands for. */
export type TpuSliceProps = Omit<z.infer<typeof TpuSliceSchema>, 'stratoJobs'>;

/** Fields the cloud can change on a live node (nodes.patch); every other change replaces the slice. */
export const TPU_MUTABLE_FIELDS: readonly string[] = ['labels', 'metadata', 'startupScript', 'tags'];

export function isRef(value: unknown): value is ResourceRef {
  return typeof value === 'object' && value !== null && 'ref' in value;
}
