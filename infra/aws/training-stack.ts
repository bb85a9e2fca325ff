/**
 * A CloudFormation stack for distributed training on EC2 GPU instances: a
 * data bucket, a VPC that costs nothing while idle, a least-privilege worker
 * role, a security group for the cluster, a cluster placement group, a
 * launch template and N GPU instances. Synthesized with the
 * LegacyStackSynthesizer: the template goes to CloudFormation inline, no
 * `cdk bootstrap` needed (it stays far under the 51,200-byte inline limit).
 */

import {
  CfnOutput,
  CfnParameter,
  Duration,
  LegacyStackSynthesizer,
  RemovalPolicy,
  Stack,
  Tags,
} from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledgeNagFindings } from './nag.ts';
import { parseTrainingStackProps, type TrainingStackInput } from './props.ts';

/**
 * The port the trainers' gRPC servers listen on (TF_CONFIG's cluster
 * addresses; src/strategies/tf-config.ts).
 */
export const TRAINING_PORT = 2222;

export class TrainingStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly vpc: ec2.Vpc;
  readonly workerRole: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;
  readonly launchTemplate: ec2.LaunchTemplate;
  readonly instances: ec2.CfnInstance[];

  constructor(scope: Construct, id: string, input: TrainingStackInput) {
    const props = parseTrainingStackProps(input);
    // Region only, no account: nothing needs a lookup (the zone is a prop), and
    // the template deploys to any account.
    super(scope, id, { env: { region: props.region }, synthesizer: new LegacyStackSynthesizer() });
    // Access logs delivered under a bucket policy, not the legacy LogDeliveryWrite ACL (cfn-lint W3045).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    // cfn-lint's one acknowledged warning, W3010 (a literal availability zone): on purpose, a
    // cluster placement group lives in one zone and the user names it (availabilityZone).
    this.templateOptions.metadata = { 'cfn-lint': { config: { ignore_checks: ['W3010'] } } };

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { expiration: Duration.days(90), abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new s3.Bucket(this, 'Data', {
      ...(props.bucketName ? { bucketName: props.bucketName } : {}),
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'data-bucket/',
      lifecycleRules: [
        { id: 'abort-multipart', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        {
          id: 'checkpoints',
          prefix: 'checkpoints/',
          expiration: Duration.days(props.checkpointRetentionDays),
        },
        {
          id: 'runs',
          prefix: 'runs/',
          transitions: [
            {
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(props.runsInfrequentAccessDays),
            },
          ],
        },
      ],
      // Destroy never empties a bucket: retained by default; with removeBucketOnDestroy
      // CloudFormation deletes it only when it is already empty.
      removalPolicy: props.removeBucketOnDestroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    // Idle cost zero: one public subnet, no NAT gateway, S3 through a gateway
    // endpoint (free), flow logs to the access-log bucket (paid per record only).
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.42.0.0/16'),
      availabilityZones: [props.availabilityZone],
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 20 }],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      // true would add a Lambda-backed custom resource; the default group is unused here.
      restrictDefaultSecurityGroup: false,
    });
    this.vpc.addFlowLog('FlowLog', {
      // No key prefix: AWS writes under AWSLogs/<account>/vpcflowlogs/ anyway, and moto looks a
      // prefixed destination ARN up as a bucket named `bucket/prefix` and crashes.
      destination: ec2.FlowLogDestination.toS3(accessLogs),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });

    const logGroup = new logs.LogGroup(this, 'WorkerLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Least privilege: read data/, read-write checkpoints/ and runs/, write to
    // its log group, and the SSM agent (Session Manager instead of SSH keys).
    this.workerRole = new iam.Role(this, 'WorkerRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Strato training workers: the data bucket by prefix, its log group, SSM',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    this.bucket.grantRead(this.workerRole, 'data/*');
    this.bucket.grantReadWrite(this.workerRole, 'checkpoints/*');
    this.bucket.grantReadWrite(this.workerRole, 'runs/*');
    logGroup.grantWrite(this.workerRole);
    const instanceProfile = new iam.InstanceProfile(this, 'WorkerProfile', { role: this.workerRole });

    // The cluster talks to itself only. TF's gRPC uses TRAINING_PORT; NCCL's
    // bootstrap and socket transport pick ephemeral TCP ports (NCCL_PORT_RANGE
    // is not a thing), and EFA needs every protocol — so all traffic from the
    // group itself, which covers 2222 too. Nothing is open to the internet.
    this.securityGroup = new ec2.SecurityGroup(this, 'ClusterSg', {
      vpc: this.vpc,
      description: `Strato cluster: ${TRAINING_PORT} and NCCL/EFA (all traffic) within the group only`,
      allowAllOutbound: true,
    });
    this.securityGroup.addIngressRule(
      this.securityGroup,
      ec2.Port.tcp(TRAINING_PORT),
      'TF gRPC inside the cluster',
    );
    this.securityGroup.addIngressRule(
      this.securityGroup,
      ec2.Port.allTraffic(),
      'NCCL and EFA inside the cluster',
    );

    const placementGroup = new ec2.PlacementGroup(this, 'Placement', {
      strategy: ec2.PlacementGroupStrategy.CLUSTER,
    });

    // The DLAMI id from its public SSM parameter, resolved by CloudFormation at deploy time.
    const machineImage = ec2.MachineImage.fromSsmParameter(props.amiSsmParameter, {
      os: ec2.OperatingSystemType.LINUX,
    });
    this.launchTemplate = new ec2.LaunchTemplate(this, 'Worker', {
      instanceType: new ec2.InstanceType(props.instanceType),
      machineImage,
      instanceProfile,
      securityGroup: this.securityGroup,
      requireImdsv2: true,
      httpPutResponseHopLimit: 2, // containers on the instance reach IMDS through one more hop
      // The `ec2` provider's user data reads its job, attempt, replica and peers from the instance's tags.
      instanceMetadataTags: true,
      blockDevices: [
        {
          deviceName: '/dev/sda1',
          volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeGb, {
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            encrypted: true,
            deleteOnTermination: true,
          }),
        },
      ],
      ...(props.spot
        ? {
            spotOptions: {
              requestType: ec2.SpotRequestType.ONE_TIME,
              interruptionBehavior: ec2.SpotInstanceInterruption.TERMINATE,
            },
          }
        : {}),
    });
    // The group by `Ref` (its name, per the AWS::EC2::PlacementGroup docs) rather than CDK's
    // GetAtt GroupName: the same value on AWS, and moto, which does not model placement groups
    // in CloudFormation, resolves a Ref to a missing resource but fails a GetAtt on it.
    const cfnPlacement = placementGroup.node.defaultChild as ec2.CfnPlacementGroup;
    (this.launchTemplate.node.defaultChild as ec2.CfnLaunchTemplate).addPropertyOverride(
      'LaunchTemplateData.Placement.GroupName',
      cfnPlacement.ref,
    );
    const imageId = machineImage.getImage(this).imageId;

    const subnet = this.vpc.publicSubnets[0]!;
    this.instances = [];
    for (let index = 0; index < props.instanceCount; index++) {
      const instance = new ec2.CfnInstance(this, `Worker${index}`, {
        launchTemplate: {
          launchTemplateId: this.launchTemplate.launchTemplateId!,
          version: this.launchTemplate.latestVersionNumber,
        },
        subnetId: subnet.subnetId,
        // The launch template names the same image and type; moto's CloudFormation
        // reads neither from the template (no image: it fails; no type: m1.small),
        // and on AWS the instance's values equal the template's either way.
        imageId,
        instanceType: props.instanceType,
        tags: [
          { key: 'Name', value: `${id}-worker-${index}` },
          { key: 'strato:worker-index', value: String(index) },
        ],
      });
      // After the default route exists, so the instance boots with the internet reachable.
      instance.node.addDependency(subnet.internetConnectivityEstablished);
      this.instances.push(instance);
      new CfnOutput(this, `Worker${index}PrivateIp`, { value: instance.attrPrivateIp });
      new CfnOutput(this, `Worker${index}InstanceId`, { value: instance.ref });
    }
    Tags.of(this).add('strato:stack', id);

    new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName });
    new CfnOutput(this, 'LaunchTemplateId', { value: this.launchTemplate.launchTemplateId! });
    // The version a job launches from: every attempt of a job the same, whatever a later deploy changes.
    new CfnOutput(this, 'LaunchTemplateVersion', { value: this.launchTemplate.latestVersionNumber });
    new CfnOutput(this, 'InstanceType', { value: props.instanceType });
    acknowledgeNagFindings(this, {
      accessLogs,
      dataBucket: this.bucket,
      workerRole: this.workerRole,
      instances: this.instances,
    });
  }
}

/** The CloudFormation parameter the DLAMI id comes through (CDK names it; tests put it in moto's SSM). */
export function amiParameters(stack: Stack): CfnParameter[] {
  return stack.node.findAll().filter((c): c is CfnParameter => c instanceof CfnParameter);
}
