/**
 * The Compute Engine constructs: the example stack's resources, and props
 * checked at construction against the GPU catalog — every problem at once,
 * each with its path, the value received, what is allowed and the fix.
 */

import { describe, expect, it } from 'vitest';
import gpuVmsStack from '../../../../infra/gpu-vms.ts';
import { SpecError } from '../../../../src/errors.ts';
import { desiredResources, Stack } from '../../../../src/infra/construct.ts';
import { Firewall, GpuVms, type GpuVmsPropsInput, Network } from '../../../../src/infra/gcp/index.ts';

function problems(build: () => unknown): SpecError {
  try {
    build();
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error('expected a SpecError');
}

const newStack = () => new Stack('s', { project: 'p', zone: 'us-central1-a' });
const vms = (props: Partial<GpuVmsPropsInput>) => () =>
  new GpuVms(newStack(), 'vms', { count: 1, machineType: 'a2-highgpu-1g', ...props } as GpuVmsPropsInput);

describe('the example stack infra/gpu-vms.ts', () => {
  it('yields its account and bucket, a network, two spot A100 VMs on it running as the account, and the TF port rule', () => {
    const all = desiredResources(gpuVmsStack());
    const machines = ['compute.network', 'compute.instance', 'compute.firewall'];
    const resources = all.filter((r) => machines.includes(r.kind));
    expect(resources.map((r) => [r.id, r.kind])).toEqual([
      ['net', 'compute.network'],
      ['workers/worker-0', 'compute.instance'],
      ['workers/worker-1', 'compute.instance'],
      ['tf-port', 'compute.firewall'],
    ]);
    expect(all.filter((r) => !machines.includes(r.kind)).map((r) => r.id)).toEqual([
      'trainer',
      'trainer/logging.logWriter',
      'trainer/monitoring.metricWriter',
      'trainer/artifactregistry.reader',
      'data',
      'data-access',
    ]);
    const vm = resources[1]!;
    expect(vm.dependsOn).toEqual([
      'net',
      'trainer',
      'trainer/artifactregistry.reader',
      'trainer/logging.logWriter',
      'trainer/monitoring.metricWriter',
    ]);
    expect(vm.props.serviceAccount).toMatchObject({
      email: 'gpu-vms-trainer@my-project.iam.gserviceaccount.com',
    });
    expect(vm.props).toMatchObject({
      name: 'gpu-vms-workers-worker-0',
      machineType: 'a2-highgpu-1g',
      spot: true,
      terminationAction: 'STOP',
      maxRunDurationSec: 86_400,
      networkName: 'gpu-vms-net',
      tags: ['gpu-vms-workers'],
      image: { project: 'deeplearning-platform-release', family: 'common-cu128-ubuntu-2204-nvidia-570' },
      network: { ref: 'net' },
    });
    expect(vm.props).not.toHaveProperty('gpu');
    expect(resources[3]!.props).toMatchObject({
      ports: ['2222'],
      sourceRanges: ['10.128.0.0/9'],
      targetTags: ['gpu-vms-workers'],
    });
    expect(resources[3]!.dependsOn).toEqual(['net']);
  });
});

describe('GpuVms props against the GPU catalog', () => {
  it('GIVEN attached GPUs on an A2 THEN they are refused: A2 brings its own', () => {
    const error = problems(vms({ gpu: { type: 'nvidia-tesla-a100', count: 1 } }));
    expect(error.issues).toMatchObject([{ path: 'vms.gpu', fix: expect.stringContaining('n1-') }]);
  });

  it('GIVEN an N1 without GPUs, a wrong count, too many vCPUs THEN each names what is allowed', () => {
    expect(problems(vms({ machineType: 'n1-standard-8' })).issues).toMatchObject([
      { path: 'vms.gpu', allowed: expect.arrayContaining(['nvidia-tesla-t4', 'nvidia-tesla-v100']) },
    ]);
    expect(
      problems(vms({ machineType: 'n1-standard-8', gpu: { type: 'nvidia-tesla-t4', count: 3 } })).issues,
    ).toMatchObject([{ path: 'vms.gpu.count', received: 3, allowed: ['1', '2', '4'] }]);
    const vcpus = problems(
      vms({ machineType: 'n1-standard-16', gpu: { type: 'nvidia-tesla-v100', count: 1 } }),
    );
    expect(vcpus.issues[0]).toMatchObject({ path: 'vms.machineType', received: 'n1-standard-16' });
    expect(vcpus.issues[0]!.allowed).toContain('n1-standard-8');
    expect(vcpus.issues[0]!.allowed).not.toContain('n1-standard-16');
    expect(
      problems(vms({ machineType: 'n1-standard-8', gpu: { type: 'nvidia-l4', count: 1 } })).issues,
    ).toMatchObject([{ path: 'vms.gpu.type', received: 'nvidia-l4' }]);
  });

  it('GIVEN a machine type without GPUs THEN the allowed GPU machine types are listed', () => {
    const [issue] = problems(vms({ machineType: 'e2-standard-4' })).issues;
    expect(issue).toMatchObject({ path: 'vms.machineType', received: 'e2-standard-4' });
    expect(issue!.allowed).toEqual(
      expect.arrayContaining(['a2-highgpu-1g', 'g2-standard-8', 'n1-standard-8']),
    );
  });

  it('GIVEN several mistakes THEN every one is reported at once', () => {
    const error = problems(
      () =>
        new GpuVms(new Stack('s', { project: 'p' }), 'vms', {
          count: 2,
          names: ['Bad_Name'],
          machineType: 'a3-highgpu-1g',
          bootDiskGb: 10,
          labels: { Team: 'x' },
        } as GpuVmsPropsInput),
    );
    const paths = error.issues.map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['vms.names[0]', 'vms.bootDiskGb', 'vms.labels.Team']));
    expect(error.message).toMatch(/problems/);
    // zod's issues come first; the catalog's are added only once the shape parses, so fix those and see the rest.
    const shaped = problems(
      () =>
        new GpuVms(new Stack('s', { project: 'p' }), 'vms', {
          count: 2,
          names: ['a'],
          machineType: 'a3-highgpu-1g',
        }),
    );
    expect(shaped.issues.map((issue) => issue.path).sort()).toEqual(['vms.count', 'vms.spot', 'vms.zone']);
  });
});

describe('Firewall and Network props', () => {
  it('GIVEN a rule open to the internet THEN it is refused with the fix', () => {
    const stack = newStack();
    const network = new Network(stack, 'net');
    const error = problems(
      () => new Firewall(stack, 'tf', { network, targetTags: ['t'], sourceRanges: ['0.0.0.0/0'] }),
    );
    expect(error.issues).toMatchObject([
      { path: 'tf.sourceRanges', received: '0.0.0.0/0', fix: expect.stringContaining("network's own range") },
    ]);
  });

  it('GIVEN no network construct, no target tags and a bad port THEN all three are reported', () => {
    const error = problems(
      () => new Firewall(newStack(), 'tf', { network: 'default', targetTags: [], ports: ['22x'] } as never),
    );
    expect(error.issues.map((issue) => issue.path).sort()).toEqual([
      'tf.network',
      'tf.ports[0]',
      'tf.targetTags',
    ]);
  });

  it('GIVEN a network name that is not RFC 1035 THEN it is refused', () => {
    expect(problems(() => new Network(newStack(), 'net', { name: 'My_Net' })).issues).toMatchObject([
      { path: 'net.name', received: 'My_Net' },
    ]);
  });
});
