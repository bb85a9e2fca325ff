/**
 * cdk-nag acknowledgements for the training stack: each AwsSolutions finding
 * this stack keeps on purpose, with the reason, through CDK's own
 * `Validations.of(…).acknowledge` (cdk-nag 3). A finding not acknowledged
 * here fails test/unit/infra-aws/nag.test.ts.
 */

import { type Stack, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';

export interface NagSubjects {
  accessLogs: s3.Bucket;
  dataBucket: s3.Bucket;
  workerRole: iam.Role;
  instances: ec2.CfnInstance[];
}

const IAM5_REASON =
  'Object wildcards are scoped to the data/, checkpoints/ and runs/ prefixes of the one data bucket; the action ' +
  'wildcards (s3:GetObject*, s3:List*, s3:Abort*, s3:DeleteObject*, s3:GetBucket*) are the object-level sets of ' +
  'the grant methods (cdk-nag 3 reports each wildcard as its own finding, acknowledged one by one below).';

export function acknowledgeNagFindings(stack: Stack, subjects: NagSubjects): void {
  Validations.of(subjects.accessLogs).acknowledge({
    id: 'AwsSolutions-S1',
    reason: 'This is the access-log bucket itself; logging it into itself would loop.',
  });
  Validations.of(subjects.workerRole).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
    reason:
      'AmazonSSMManagedInstanceCore is the AWS-maintained minimum for Session Manager; a copy would go stale.',
  });
  const bucketId = stack.resolve(stack.getLogicalId(subjects.dataBucket.node.defaultChild as s3.CfnBucket));
  const findings = [
    ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map(
      (a) => `Action::${a}`,
    ),
    ...['data', 'checkpoints', 'runs'].map((prefix) => `Resource::<${bucketId}.Arn>/${prefix}/*`),
  ];
  for (const finding of findings) {
    Validations.of(subjects.workerRole).acknowledge({
      id: `AwsSolutions-IAM5[${finding}]`,
      reason: IAM5_REASON,
    });
  }
  for (const instance of subjects.instances) {
    Validations.of(instance).acknowledge({
      id: 'AwsSolutions-EC28',
      reason:
        'Detailed monitoring costs per instance-month; training progress comes from the run dir’s metrics.',
    });
    Validations.of(instance).acknowledge({
      id: 'AwsSolutions-EC29',
      reason:
        'Workers are disposable: termination protection would block `strato infra destroy` and spot reclaims; ' +
        'checkpoints in the bucket, not the instance, carry the state.',
    });
  }
}
