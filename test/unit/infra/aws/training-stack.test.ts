/**
 * The training stack's template, checked with CDK's assertions: what a
 * security review asks first (public access, the role's scope, IMDSv2,
 * encryption) and what training needs (GPU type, placement, the ports).
 */

import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { TrainingStack } from '../../../../infra/aws/training-stack.ts';
import { SpecError } from '../../../../src/errors.ts';

type Input = ConstructorParameters<typeof TrainingStack>[2];

function synth(input: Partial<Input> = {}): Template {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new TrainingStack(app, 'train', { region: 'us-east-1', instanceCount: 2, ...input });
  return Template.fromStack(stack);
}

function refused(input: Partial<Input>): SpecError {
  try {
    synth(input);
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error('the stack was built');
}

describe('GIVEN the default training stack', () => {
  const template = synth();

  it('THEN the data bucket blocks all public access, encrypts, logs access and expires checkpoints', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'data-bucket/' }),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
          Match.objectLike({ Prefix: 'checkpoints/', ExpirationInDays: 30 }),
          Match.objectLike({
            Prefix: 'runs/',
            Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
          }),
        ]),
      },
    });
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ LoggingConfiguration: Match.anyValue() }),
    });
  });

  it('THEN every bucket refuses requests without TLS', () => {
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(JSON.stringify(policy)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('THEN the worker role reaches only its prefixes of the data bucket, its log group and SSM', () => {
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = (
      policy as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }
    ).Properties.PolicyDocument.Statement;
    const resources = JSON.stringify(statements.map((s) => s.Resource));
    for (const prefix of ['data/*', 'checkpoints/*', 'runs/*']) expect(resources).toContain(`/${prefix}`);
    expect(resources).not.toContain('"*"');
    // Writes only under checkpoints/ and runs/: data/ is read-only.
    const writers = statements.filter((s) => JSON.stringify(s.Action).includes('s3:PutObject'));
    expect(JSON.stringify(writers.map((s) => s.Resource))).not.toContain('/data/*');
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })],
      }),
      ManagedPolicyArns: [
        Match.objectLike({
          'Fn::Join': Match.arrayWith([Match.arrayWith([':iam::aws:policy/AmazonSSMManagedInstanceCore'])]),
        }),
      ],
    });
    template.resourceCountIs('AWS::IAM::InstanceProfile', 1);
  });

  it('THEN the VPC costs nothing idle: one public subnet, an S3 gateway endpoint, no NAT', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::Subnet', 1);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
  });

  it('THEN the cluster is open to itself only: 2222 and all traffic for NCCL/EFA, nothing from outside', () => {
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map(
      (r) => (r as { Properties: Record<string, unknown> }).Properties,
    );
    expect(ingress.map((i) => [i.IpProtocol, i.FromPort, i.ToPort])).toEqual([
      ['tcp', 2222, 2222],
      ['-1', undefined, undefined],
    ]);
    for (const rule of ingress) expect(rule.SourceSecurityGroupId).toBeDefined();
    expect(JSON.stringify(template.toJSON())).not.toContain('0.0.0.0/0"},"IpProtocol":"tcp"');
  });

  it('THEN the launch template requires IMDSv2 (tags in IMDS for the ec2 provider), encrypts a gp3 root, names the GPU type, the DLAMI and the cluster placement group', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 'g5.xlarge',
        MetadataOptions: {
          HttpTokens: 'required',
          HttpPutResponseHopLimit: 2,
          InstanceMetadataTags: 'enabled',
        },
        BlockDeviceMappings: [
          {
            DeviceName: '/dev/sda1',
            Ebs: Match.objectLike({ Encrypted: true, VolumeType: 'gp3', VolumeSize: 200 }),
          },
        ],
        Placement: { GroupName: { Ref: Match.stringLikeRegexp('^Placement') } },
      }),
    });
    template.hasResourceProperties('AWS::EC2::PlacementGroup', { Strategy: 'cluster' });
    template.hasParameter('*', {
      Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
      Default: '/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id',
    });
    template.resourceCountIs('AWS::EC2::Instance', 2);
  });

  it('THEN its outputs name the launch template and the version jobs launch from', () => {
    template.hasOutput('LaunchTemplateId', { Value: { Ref: Match.stringLikeRegexp('^Worker') } });
    template.hasOutput('LaunchTemplateVersion', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Worker'), 'LatestVersionNumber'] },
    });
  });

  it('THEN it needs no bootstrap: the legacy synthesizer adds no BootstrapVersion parameter', () => {
    expect(Object.keys(template.toJSON().Parameters ?? {})).not.toContain('BootstrapVersion');
    expect(template.toJSON().Rules).toBeUndefined();
  });
});

describe('GIVEN spot and a larger type', () => {
  it('THEN the launch template asks for one-time spot instances of that type', () => {
    synth({ spot: true, instanceType: 'p4d.24xlarge', gpusPerInstance: 8 }).hasResourceProperties(
      'AWS::EC2::LaunchTemplate',
      {
        LaunchTemplateData: Match.objectLike({
          InstanceType: 'p4d.24xlarge',
          InstanceMarketOptions: {
            MarketType: 'spot',
            SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' },
          },
        }),
      },
    );
  });
});

describe('bad props are refused at synth with the field, the value, what is allowed and the fix', () => {
  it('a type without GPUs', () => {
    const error = refused({ instanceType: 'm5.large' });
    expect(error.issues[0]).toMatchObject({ path: 'instanceType', received: 'm5.large' });
    expect(error.issues[0]?.allowed).toContain('g5.xlarge');
    expect(error.message).toMatch(/fix: Pick a GPU type/);
  });

  it('a region without the family', () => {
    const error = refused({ instanceType: 'p5.48xlarge', region: 'eu-west-1' });
    expect(error.issues[0]).toMatchObject({
      path: 'region',
      received: 'eu-west-1',
      allowed: ['us-east-1', 'us-east-2', 'us-west-2'],
    });
  });

  it('more GPUs than the type has', () => {
    const error = refused({ instanceType: 'g5.xlarge', gpusPerInstance: 4 });
    expect(error.issues[0]).toMatchObject({ path: 'gpusPerInstance', received: 4 });
    expect(error.issues[0]?.allowed).toContain('g5.12xlarge');
    expect(error.issues[0]?.allowed).not.toContain('g5.xlarge');
  });

  it('a bucket name AWS forbids, and a count out of range, in one error', () => {
    const error = refused({ bucketName: 'My_Bucket', instanceCount: 100 });
    expect(error.issues.map((i) => i.path)).toEqual(['instanceCount']);
    const named = refused({ bucketName: 'My_Bucket' });
    expect(named.issues[0]).toMatchObject({ path: 'bucketName', received: 'My_Bucket' });
    expect(refused({ bucketName: '192.168.1.1' }).issues[0]?.message).toMatch(/IP address/);
    expect(refused({ bucketName: 'ab' }).issues[0]?.message).toMatch(/3 to 63/);
  });
});
