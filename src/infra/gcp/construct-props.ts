/**
 * The names and labels Compute Engine accepts, as zod schemas the Compute
 * constructs share. (Checking props and references: ../props.ts.)
 */

import { z } from 'zod';

/** Compute Engine names (RFC 1035): what networks, firewall rules and VMs may be called. */
export const ComputeNameSchema = z
  .string()
  .regex(
    /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/,
    'must be 1-63 lowercase letters, digits and -, starting with a letter (RFC 1035)',
  );

/** Label keys and values as Compute Engine accepts them (https://cloud.google.com/compute/docs/labeling-resources#requirements). */
export const ComputeLabelsSchema = z
  .record(
    z
      .string()
      .regex(
        /^[a-z][a-z0-9_-]{0,62}$/,
        'must be a label key: lowercase letters, digits, _ and -, ≤ 63, starting with a letter',
      ),
    z.string().regex(/^[a-z0-9_-]{0,63}$/, 'must be a label value: lowercase letters, digits, _ and -, ≤ 63'),
  )
  .describe('Labels on the resource (beside strato-stack, which Strato sets).');
