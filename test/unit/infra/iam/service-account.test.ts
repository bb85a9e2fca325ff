/**
 * The ServiceAccount construct: least privilege checked when it is built
 * (basic roles and project-wide storage refused with path, received,
 * allowed and fix), IAM's account-id rule, an existing account by email
 * that creates nothing, and the machines that run as it depending on it.
 */

import { describe, expect, it } from 'vitest';
import { SpecError } from '../../../../src/errors.ts';
import { desiredResources, Stack } from '../../../../src/infra/construct.ts';
import { GpuVms } from '../../../../src/infra/gcp/gpu-vms.ts';
import { TpuSlice } from '../../../../src/infra/gcp/tpu-slice.ts';
import { Bucket } from '../../../../src/infra/gcs/bucket.ts';
import { BucketIamBinding } from '../../../../src/infra/gcs/bucket-iam-binding.ts';
import { defaultAccountId, ServiceAccount } from '../../../../src/infra/iam/service-account.ts';
import { WORKER_ROLES } from '../../../../src/infra/iam/worker-roles.ts';
import { stackFromYaml } from '../../../../src/infra/yaml-stack.ts';

const stack = () => new Stack('demo', { project: 'p', region: 'us-central1', zone: 'us-central1-a' });

function issuesOf(build: () => unknown) {
  try {
    build();
  } catch (error) {
    if (error instanceof SpecError) return error.issues;
    throw error;
  }
  throw new Error('no SpecError');
}

describe('ServiceAccount', () => {
  it('refuses basic roles and project-wide storage, every problem at once, with the allow-list and the fix', () => {
    const issues = issuesOf(
      () =>
        new ServiceAccount(stack(), 'trainer', {
          accountId: 'ab',
          roles: [
            'roles/logging.logWriter',
            'roles/owner',
            'roles/editor',
            'roles/storage.admin',
            'roles/compute.admin',
          ],
        }),
    );
    expect(issues.map((issue) => issue.path)).toEqual([
      'trainer.accountId',
      'trainer.roles[1]',
      'trainer.roles[2]',
      'trainer.roles[3]',
      'trainer.roles[4]',
    ]);
    const owner = issues[1]!;
    expect(owner).toMatchObject({ received: 'roles/owner', allowed: [...WORKER_ROLES] });
    expect(owner.message).toMatch(/basic role/);
    expect(owner.fix).toMatch(/BucketIamBinding/);
    expect(issues[3]!.fix).toContain("role: 'roles/storage.admin'");
    expect(issues[0]).toMatchObject({ received: 'ab' });
  });

  it('names the account from the stack and id within IAM’s 6–30 characters, and grants each role as its own resource', () => {
    const s = stack();
    const sa = new ServiceAccount(s, 'trainer', { roles: ['roles/logging.logWriter', 'roles/tpu.viewer'] });
    expect(sa.email).toBe('demo-trainer@p.iam.gserviceaccount.com');
    const resources = desiredResources(s);
    expect(resources.map((r) => [r.id, r.kind, r.dependsOn])).toEqual([
      ['trainer', 'iam.service-account', []],
      ['trainer/logging.logWriter', 'iam.project-role-binding', ['trainer']],
      ['trainer/tpu.viewer', 'iam.project-role-binding', ['trainer']],
    ]);
    expect(resources[1]!.props).toEqual({
      project: 'p',
      role: 'roles/logging.logWriter',
      member: 'serviceAccount:demo-trainer@p.iam.gserviceaccount.com',
    });
    const long = defaultAccountId('a-very-long-stack-name', 'and-a-long-resource-id');
    expect(long.length).toBeLessThanOrEqual(30);
    expect(long).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])$/);
    expect(defaultAccountId('s', 'a').length).toBeGreaterThanOrEqual(6);
  });

  it('fromEmail creates no account resource, only the roles it is granted', () => {
    const s = stack();
    const existing = ServiceAccount.fromEmail(s, 'runner', 'ci@p.iam.gserviceaccount.com', {
      roles: ['roles/monitoring.metricWriter'],
    });
    expect(existing.member).toBe('serviceAccount:ci@p.iam.gserviceaccount.com');
    expect(desiredResources(s).map((r) => [r.id, r.kind])).toEqual([
      ['runner/monitoring.metricWriter', 'iam.project-role-binding'],
    ]);
    expect(issuesOf(() => ServiceAccount.fromEmail(stack(), 'x', 'someone@example.com'))[0]).toMatchObject({
      path: 'x.email',
      received: 'someone@example.com',
    });
  });

  it('GPU VMs, a TPU slice and a bucket binding run as it and wait for it and its roles', () => {
    const s = stack();
    const sa = new ServiceAccount(s, 'trainer', { roles: ['roles/logging.logWriter'] });
    new GpuVms(s, 'vms', { count: 1, machineType: 'g2-standard-8', serviceAccount: sa });
    new TpuSlice(s, 'tpu', {
      zone: 'us-central2-b',
      acceleratorType: 'v4-8',
      runtimeVersion: 'tpu-vm-tf-2.16.1-pjrt',
      serviceAccount: sa,
    });
    const data = new Bucket(s, 'data', {});
    new BucketIamBinding(s, 'access', { bucket: data, role: 'roles/storage.objectUser', members: [sa] });
    new GpuVms(s, 'other', {
      count: 1,
      machineType: 'g2-standard-8',
      serviceAccount: 'x@p.iam.gserviceaccount.com',
    });
    const byId = new Map(desiredResources(s).map((r) => [r.id, r]));
    expect(byId.get('vms/vms-0')!.props.serviceAccount).toEqual({
      email: sa.email,
      scopes: ['https://www.googleapis.com/auth/cloud-platform'],
    });
    expect(byId.get('vms/vms-0')!.dependsOn).toEqual(['trainer', 'trainer/logging.logWriter']);
    expect(byId.get('tpu')!.props.serviceAccount).toBe(sa.email);
    expect(byId.get('tpu')!.dependsOn).toEqual(['trainer', 'trainer/logging.logWriter']);
    expect(byId.get('access')!.props.members).toEqual([sa.member]);
    expect(byId.get('access')!.dependsOn).toEqual(['data', 'trainer']);
    expect(byId.get('other/other-0')!.props.serviceAccount).toMatchObject({
      email: 'x@p.iam.gserviceaccount.com',
    });
  });

  it('has a YAML form: ServiceAccount, ExistingServiceAccount, and `ref`s to them', async () => {
    const built = await stackFromYaml(
      {
        kind: 'Stack',
        name: 'demo',
        project: 'p',
        zone: 'us-central1-a',
        resources: {
          ServiceAccount: { trainer: { roles: ['roles/logging.logWriter'] } },
          ExistingServiceAccount: {
            runner: { email: 'ci@p.iam.gserviceaccount.com', roles: ['roles/tpu.viewer'] },
          },
          GpuVms: { vms: { count: 1, machineType: 'g2-standard-8', serviceAccount: { ref: 'runner' } } },
        },
      },
      'demo.yaml',
    );
    const byId = new Map(desiredResources(built).map((r) => [r.id, r]));
    expect([...byId.keys()].sort()).toEqual([
      'runner/tpu.viewer',
      'trainer',
      'trainer/logging.logWriter',
      'vms/vms-0',
    ]);
    expect(byId.get('vms/vms-0')!.dependsOn).toEqual(['runner/tpu.viewer']);
    await expect(
      stackFromYaml(
        {
          kind: 'Stack',
          name: 'demo',
          project: 'p',
          resources: { ServiceAccount: { t: { roles: ['roles/owner'] } } },
        },
        'demo.yaml',
      ),
    ).rejects.toMatchObject({
      issues: [{ path: 'resources.ServiceAccount.t.roles[0]', received: 'roles/owner' }],
    });
  });
});
