/**
 * An `ec2` job's instances through `@aws-sdk/client-ec2`: launch an
 * attempt (one RunInstances per replica, from the stack's launch template,
 * tagged with job, attempt and replica), tag every instance with every
 * peer's private DNS name once all exist (what the user data waits for),
 * find a job's instances by tag, terminate them.
 *
 * A launch is preceded by a look for the attempt's instances, so asking
 * twice launches each replica once: moto ignores RunInstances' ClientToken
 * (two calls with one token made two instances), and on AWS a token only
 * covers a retry of the same call. The token is sent all the same.
 */

import { createHash } from 'node:crypto';
import {
  type _InstanceType,
  CreateTagsCommand,
  DescribeInstancesCommand,
  type EC2Client,
  type Instance,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { controlFolder } from '../../agent/layout.ts';
import { buildLaunch } from '../machines/launch.ts';
import { translateEc2Error } from './api.ts';
import type { Ec2JobRecord } from './record.ts';

export const TAG_JOB = 'strato-job';
export const TAG_ATTEMPT = 'strato-attempt';
export const TAG_REPLICA = 'strato-replica';
/** `strato-peer-<replica>`: that replica's private DNS name, on every instance of the attempt. */
export const TAG_PEER_PREFIX = 'strato-peer-';
/** The user data's last line carries the launch: `# strato-launch: <base64 JSON>`. */
export const LAUNCH_LINE_PREFIX = '# strato-launch: ';

/** Instance states on the way up and at work (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-lifecycle.html). */
const ALIVE = new Set(['pending', 'running']);

export interface JobInstance {
  id: string;
  jobId: string;
  attempt: number;
  replica: string;
  state: string;
  /** Why it stopped, when AWS says (e.g. `Server.SpotInstanceTermination`). */
  reason?: string;
  privateDnsName?: string;
}

function tagOf(instance: Instance, key: string): string | undefined {
  return instance.Tags?.find((t) => t.Key === key)?.Value;
}

function jobInstanceOf(instance: Instance): JobInstance | undefined {
  const jobId = tagOf(instance, TAG_JOB);
  const replica = tagOf(instance, TAG_REPLICA);
  if (!jobId || !replica || !instance.InstanceId) return undefined;
  const reason = instance.StateReason?.Code ?? instance.StateTransitionReason;
  return {
    id: instance.InstanceId,
    jobId,
    attempt: Number(tagOf(instance, TAG_ATTEMPT) ?? 0),
    replica,
    state: instance.State?.Name ?? 'unknown',
    ...(reason ? { reason } : {}),
    ...(instance.PrivateDnsName ? { privateDnsName: instance.PrivateDnsName } : {}),
  };
}

/** Every instance of these jobs (all attempts, terminated ones too while AWS still lists them): one paged call. */
export async function listJobInstances(ec2: EC2Client, jobIds: readonly string[]): Promise<JobInstance[]> {
  const out: JobInstance[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await ec2.send(
        new DescribeInstancesCommand({
          Filters: [{ Name: `tag:${TAG_JOB}`, Values: [...new Set(jobIds)] }],
          ...(token ? { NextToken: token } : {}),
        }),
      );
      for (const reservation of page.Reservations ?? [])
        for (const instance of reservation.Instances ?? []) {
          const found = jobInstanceOf(instance);
          if (found) out.push(found);
        }
      token = page.NextToken;
    } while (token);
  } catch (error) {
    throw translateEc2Error(error, `list the instances of ${jobIds.join(', ')}`);
  }
  return out;
}

/** Terminates the instances not terminated yet (idempotent: a terminated one is left alone). */
export async function terminateInstances(ec2: EC2Client, instances: readonly JobInstance[]): Promise<void> {
  const ids = instances.filter((i) => i.state !== 'terminated').map((i) => i.id);
  if (ids.length === 0) return;
  try {
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
  } catch (error) {
    if ((error as { name?: string }).name === 'InvalidInstanceID.NotFound') return;
    throw translateEc2Error(error, `terminate ${ids.join(', ')}`);
  }
}

/** ≤ 64 ASCII characters, one per job, attempt and replica (RunInstances' ClientToken limit). */
function clientToken(jobId: string, attempt: number, replica: string): string {
  const text = `strato-${jobId}-a${attempt}-${replica}`;
  if (text.length <= 64) return text;
  return `strato-${createHash('sha256').update(text).digest('hex').slice(0, 56)}`;
}

/** The user data of one replica's instance: the script, then the launch on its last line. */
export function userDataOf(script: string, record: Ec2JobRecord, attempt: number, replica: string): string {
  const r = record.replicas.find((x) => x.name === replica)!;
  const launch = buildLaunch({
    image: record.image,
    command: record.command,
    args: record.args,
    dockerFlags: ['--gpus', 'all'],
    replicas: [{ name: r.name, runsProgram: true, env: r.env }],
  });
  const doc = { control: controlFolder(record.runDir, attempt), launch, hosts: record.hosts };
  const line = `${LAUNCH_LINE_PREFIX}${Buffer.from(JSON.stringify(doc)).toString('base64')}`;
  return `${script.replace(/\n*$/, '\n')}${line}\n`;
}

/**
 * Launches attempt `attempt`: the replicas without an instance of it yet,
 * then the peer tags on all of them. On a failure, whatever of this attempt
 * was made is terminated before the error goes up.
 */
export async function launchAttempt(
  ec2: EC2Client,
  record: Ec2JobRecord,
  attempt: number,
  script: string,
): Promise<void> {
  const existing = (await listJobInstances(ec2, [record.jobId])).filter(
    (i) => i.attempt === attempt && ALIVE.has(i.state),
  );
  const made = new Map(existing.map((i) => [i.replica, i]));
  try {
    await Promise.all(
      record.replicas
        .filter((r) => !made.has(r.name))
        .map(async (replica) => {
          const answer = await ec2.send(
            new RunInstancesCommand({
              MinCount: 1,
              MaxCount: 1,
              LaunchTemplate: {
                LaunchTemplateId: record.launchTemplateId,
                Version: record.launchTemplateVersion ?? '$Latest',
              },
              // The launch template names no subnet: the stack's one, where its security group lives.
              SubnetId: record.subnetId,
              InstanceType: record.instanceType as _InstanceType,
              UserData: Buffer.from(userDataOf(script, record, attempt, replica.name)).toString('base64'),
              // The template's own (IMDSv2 required) plus the tags in IMDS, which the user data reads.
              // Said here too because moto does not apply a launch template's MetadataOptions.
              MetadataOptions: {
                HttpTokens: 'required',
                HttpEndpoint: 'enabled',
                HttpPutResponseHopLimit: 2,
                InstanceMetadataTags: 'enabled',
              },
              ...(record.spot
                ? {
                    InstanceMarketOptions: {
                      MarketType: 'spot',
                      SpotOptions: {
                        SpotInstanceType: 'one-time',
                        InstanceInterruptionBehavior: 'terminate',
                      },
                    },
                  }
                : {}),
              TagSpecifications: [
                {
                  ResourceType: 'instance',
                  Tags: [
                    ...Object.entries(record.labels).map(([Key, Value]) => ({ Key, Value })),
                    { Key: 'Name', Value: `strato-${record.jobId}-a${attempt}-${replica.name}` },
                    { Key: TAG_JOB, Value: record.jobId },
                    { Key: TAG_ATTEMPT, Value: String(attempt) },
                    { Key: TAG_REPLICA, Value: replica.name },
                  ],
                },
              ],
              ClientToken: clientToken(record.jobId, attempt, replica.name),
            }),
          );
          const instance = answer.Instances?.[0];
          const found = instance ? jobInstanceOf(instance) : undefined;
          if (found) made.set(replica.name, found);
        }),
    );
    const missingDns = record.replicas.filter((r) => !made.get(r.name)?.privateDnsName);
    if (missingDns.length > 0) {
      throw new Error(
        `no private DNS name for ${missingDns.map((r) => r.name).join(', ')} after RunInstances`,
      );
    }
    await ec2.send(
      new CreateTagsCommand({
        Resources: [...made.values()].map((i) => i.id),
        Tags: record.replicas.map((r) => ({
          Key: `${TAG_PEER_PREFIX}${r.name}`,
          Value: made.get(r.name)!.privateDnsName!,
        })),
      }),
    );
  } catch (error) {
    // Whatever failed, nothing of this attempt stays behind (what RunInstances made before the error too).
    const left = (await listJobInstances(ec2, [record.jobId]).catch(() => [])).filter(
      (i) => i.attempt === attempt,
    );
    await terminateInstances(ec2, left).catch(() => undefined);
    throw translateEc2Error(error, `launch attempt ${attempt} of ${record.jobId}`);
  }
}
