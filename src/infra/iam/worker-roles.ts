/**
 * The project roles a training worker's service account may be granted by
 * a stack, and nothing more (least privilege). Each is what a Strato job
 * on a TPU VM or GPU VM actually calls:
 *
 * - `roles/logging.logWriter`: the VM's agent and the trainer write job
 *   logs to Cloud Logging (logging.logEntries.create only).
 * - `roles/monitoring.metricWriter`: the ops agent and TPU runtime write
 *   utilisation metrics (monitoring.timeSeries.create only).
 * - `roles/tpu.viewer`: TensorFlow's TPUClusterResolver reads its own TPU
 *   node (tpu.nodes.get) to find the other workers of a slice; read-only.
 * - `roles/artifactregistry.reader`: the startup script pulls the trainer
 *   image from Artifact Registry (read-only).
 *
 * Data access is not a project role: grant `roles/storage.objectUser` (or
 * objectViewer) on the data bucket alone, with `BucketIamBinding`. Basic
 * roles (owner, editor, viewer) grant thousands of permissions across every
 * service of the project and are refused, as is anything else not listed.
 * (https://cloud.google.com/iam/docs/understanding-roles#basic,
 * https://cloud.google.com/iam/docs/service-account-overview#service-account-permissions)
 */

import type { SpecIssue } from '../../errors.ts';

export const WORKER_ROLES = [
  'roles/logging.logWriter',
  'roles/monitoring.metricWriter',
  'roles/tpu.viewer',
  'roles/artifactregistry.reader',
] as const;

export type WorkerRole = (typeof WORKER_ROLES)[number];

/** The basic ("primitive") roles. */
const BASIC_ROLES = new Set(['roles/owner', 'roles/editor', 'roles/viewer']);

/** One issue per role not on the allow-list, at `roles[i]`. */
export function workerRoleIssues(roles: readonly string[]): SpecIssue[] {
  return roles.flatMap((role, index): SpecIssue[] => {
    if ((WORKER_ROLES as readonly string[]).includes(role)) return [];
    const path = `roles[${index}]`;
    if (BASIC_ROLES.has(role)) {
      return [
        {
          path,
          message: 'is a basic role: it grants nearly every permission in the project (not least privilege)',
          received: role,
          allowed: WORKER_ROLES,
          fix: 'grant only what the worker calls, from the allowed roles; for the data bucket add a BucketIamBinding with roles/storage.objectUser',
        },
      ];
    }
    if (role.startsWith('roles/storage.')) {
      return [
        {
          path,
          message: 'grants access to every bucket of the project',
          received: role,
          allowed: WORKER_ROLES,
          fix: `grant ${role} on the data bucket only: new BucketIamBinding(stack, 'data-access', { bucket, role: '${role}', members: [account] })`,
        },
      ];
    }
    return [
      {
        path,
        message: "is not one of the roles a training worker needs (Strato's allow-list)",
        received: role,
        allowed: WORKER_ROLES,
        fix: 'use one of the allowed roles; a wider grant belongs outside the stack (gcloud projects add-iam-policy-binding)',
      },
    ];
  });
}
