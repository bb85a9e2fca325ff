/**
 * The `ec2` provider: jobs on a deployed training stack's GPU instances
 * (infra/aws/app.ts). Per attempt, one instance per replica from the stack's
 * launch template in its subnet (`instances.ts`), spot or on-demand from the
 * spec, tagged `strato-job` / `strato-attempt` / `strato-replica`; their user
 * data (`user-data.sh`) runs the image and reports through the run dir on
 * S3, with the machines' control plane (`../machines/`). Peers: the plan's
 * env names each replica by a placeholder host; once the attempt's instances
 * exist, each gets every peer's private DNS name as a tag, which the user
 * data puts in place of the placeholders (TF_CONFIG on port 2222).
 *
 * `status` reads, per tick, ONE DescribeInstances for all jobs (per endpoint
 * and region, filtered by the `strato-job` tag), then each job's control
 * folder (a prefix listing: S3 has no listing glob). An instance terminated
 * without an exit record — a spot interruption — is a preemption, which the
 * lifecycle's restart policy turns into the next attempt. `cancel`,
 * `release` and `abandon` terminate every instance of the job.
 *
 * Endpoints and keys from the environment (AWS_ENDPOINT_URL_EC2 /
 * AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL: moto's in tests); a job keeps
 * its endpoints, so later processes find it where it was made.
 * `STRATO_EC2_PORTS=distinct` (the fake fleet, whose instances share one
 * loopback) gives every replica its own TensorFlow port instead of 2222.
 */

import { readFile } from 'node:fs/promises';
import { controlFolder } from '../../agent/layout.ts';
import { SpecError, type SpecIssue, StratoError } from '../../errors.ts';
import type { RetryPolicy } from '../../internal/retry.ts';
import { parseObjectUri } from '../../internal/uri.ts';
import { findAwsGpuInstanceType } from '../../spec/catalog/aws-gpu.ts';
import { CLOUD_TF_PORT, type ClusterPlan, type ReplicaRole } from '../../strategies/plan.ts';
import { PROVIDER_CAPABILITIES } from '../capabilities.ts';
import { allocatePorts, LOOPBACK_HOST } from '../local/ports.ts';
import { attemptStatus, type MachineFact } from '../machines/attempt-status.ts';
import { handleWithAttempt } from '../machines/attempts.ts';
import { ClientPool } from '../machines/client-pool.ts';
import { ControlReader, readControlFolders } from '../machines/control.ts';
import { type MachineJob, machineJobEnds } from '../machines/ending.ts';
import { StatusPacer } from '../machines/pacing.ts';
import { machineReplicasOf } from '../machines/replicas.ts';
import type { JobHandle, JobStatus, Provider } from '../types.ts';
import { createEc2Client, ec2EndpointOf, ec2RegionOf, readStack, type StackFacts } from './api.ts';
import { type JobInstance, launchAttempt, listJobInstances, terminateInstances } from './instances.ts';
import { currentEc2Attempt, type Ec2JobRecord, ec2RecordOf } from './record.ts';

/** `distinct`: every replica listens on its own port (instances sharing one network, as the fake fleet's do). */
export const EC2_PORTS_ENV = 'STRATO_EC2_PORTS';

export interface Ec2ProviderOptions {
  /** Where the AWS endpoints, keys, region and STRATO_EC2_PORTS are read; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The user data every instance runs; default `user-data.sh` beside this file. */
  userData?: string;
  /** Multiplies the status pacing intervals (0: read the cloud on every call). Default 1. */
  pollScale?: number;
  retry?: RetryPolicy;
  /** TensorFlow ports: `cloud` (2222 on every instance, the default) or `distinct` (one per replica). */
  ports?: 'cloud' | 'distinct';
}

/**
 * How long an instance RunInstances returned may be missing from
 * DescribeInstances: EC2's reads are eventually consistent
 * (https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html).
 */
const LAUNCH_VISIBILITY_MS = 60_000;

/** The placeholder host of a replica in the plan's env; `.invalid` never resolves (RFC 6761) if left in place. */
export function placeholderHost(jobId: string, replica: string): string {
  return `${replica}.${jobId}.strato.invalid`;
}

async function loadUserData(): Promise<string> {
  const url = new URL('./user-data.sh', import.meta.url);
  try {
    return await readFile(url, 'utf8');
  } catch (error) {
    throw new StratoError(
      'E_INTERNAL',
      `the EC2 user data script is missing from this install (${url.pathname})`,
      {
        cause: error,
        hint: 'reinstall strato; the package ships src/providers/ec2/user-data.sh',
      },
    );
  }
}

function machineFact(instance: JobInstance | undefined, replica: string, startedAt: string): MachineFact {
  if (!instance) {
    const young = Date.now() - Date.parse(startedAt) < LAUNCH_VISIBILITY_MS;
    return young
      ? { state: 'creating', machine: replica }
      : { state: 'gone', machine: replica, detail: 'gone' };
  }
  if (instance.state === 'pending') return { state: 'creating', machine: instance.id };
  if (instance.state === 'running') return { state: 'running', machine: instance.id };
  const why = instance.reason ? ` (${instance.reason})` : '';
  return { state: 'gone', machine: instance.id, detail: `${instance.state}${why}` };
}

/** The job refused before anything is made: its run dir or instance type does not fit the stack. */
function checkFit(plan: ClusterPlan, stack: StackFacts, stackName: string, region: string): void {
  const issues: SpecIssue[] = [];
  const type = findAwsGpuInstanceType(stack.instanceType);
  for (const replica of plan.replicas) {
    const asked = replica.resources.machineType;
    if (asked && asked !== stack.instanceType) {
      issues.push({
        path: `resources.${replica.role === 'worker' ? 'workers' : replica.role}.machineType`,
        message: `is not what stack ${stackName} launches (${stack.instanceType})`,
        received: asked,
        allowed: [stack.instanceType],
        fix: `set machineType: ${stack.instanceType} (or remove it), or redeploy the stack with -c instanceType=${asked}`,
      });
      break;
    }
  }
  if (!type) {
    issues.push({
      path: 'provider.stack',
      message: `launches ${stack.instanceType}, which is not a GPU instance type in the catalog`,
      received: stackName,
      fix: 'redeploy the stack with a GPU type: -c instanceType=g5.xlarge',
    });
  } else if (!(type.family.regions as readonly string[]).includes(region)) {
    issues.push({
      path: 'provider.region',
      message: `does not offer ${type.family.family} instances (per ${type.family.source})`,
      received: region,
      allowed: type.family.regions,
      fix: 'use a stack deployed in one of the listed regions',
    });
  }
  const out = parseObjectUri(plan.runDir.root);
  if (out.scheme !== 's3' || out.bucket !== stack.bucket || !/^(runs|checkpoints)\//.test(out.key)) {
    issues.push({
      path: 'output',
      message: `must be under s3://${stack.bucket}/runs/ (or checkpoints/): the stack's worker role may write only there`,
      received: plan.runDir.root,
      fix: `set output: s3://${stack.bucket}/runs/${plan.jobName}`,
    });
  }
  if (issues.length > 0) throw new SpecError(issues, `stack ${stackName}`);
}

export function createEc2Provider(options: Ec2ProviderOptions = {}): Provider & {
  statusMany(handles: readonly JobHandle[]): Promise<JobStatus[]>;
  release(handle: JobHandle): Promise<void>;
  abandon(handle: JobHandle): Promise<void>;
} {
  const env = options.env ?? process.env;
  const ports = options.ports ?? (env[EC2_PORTS_ENV] === 'distinct' ? 'distinct' : 'cloud');
  const pacer = new StatusPacer<JobStatus>(options.pollScale ?? 1);
  const reader = new ControlReader();
  const pacingKey = (record: Ec2JobRecord) => `${record.jobId}#${currentEc2Attempt(record).attempt}`;

  // One EC2 client per region and endpoint, shared by the reads of every tick (client-pool.ts says why).
  const clients = new ClientPool<ReturnType<typeof createEc2Client>>(
    async (key) => {
      const [region, endpoint] = JSON.parse(key) as [string, string | undefined];
      return createEc2Client(env, region, endpoint);
    },
    (ec2) => ec2.destroy(),
  );

  function withEc2<T>(record: Ec2JobRecord, use: (ec2: ReturnType<typeof createEc2Client>) => Promise<T>) {
    return clients.use(JSON.stringify([record.region, record.ec2Endpoint ?? ec2EndpointOf(env)]), use);
  }

  const storageOf = (record: Ec2JobRecord) => ({ s3Endpoint: record.s3Endpoint, env });

  async function terminateEvery(record: Ec2JobRecord, below?: number): Promise<void> {
    await withEc2(record, async (ec2) => {
      const all = await listJobInstances(ec2, [record.jobId]);
      await terminateInstances(
        ec2,
        all.filter((i) => i.jobId === record.jobId && (below === undefined || i.attempt < below)),
      );
    });
  }

  /** What the shared endings (logs, cancel, release) need of a job. */
  const machineJob = (handle: JobHandle): MachineJob => {
    const record = ec2RecordOf(handle);
    return {
      runDir: record.runDir,
      attempt: currentEc2Attempt(record).attempt,
      storage: storageOf(record),
      forget: () => pacer.forget(pacingKey(record)),
      deleteMachines: () => terminateEvery(record),
    };
  };

  async function readStatuses(records: readonly Ec2JobRecord[]): Promise<JobStatus[]> {
    // One DescribeInstances per endpoint and region, for every job there.
    const groups = new Map<string, Ec2JobRecord[]>();
    for (const record of records) {
      const key = `${record.ec2Endpoint ?? ''}|${record.region}`;
      groups.set(key, [...(groups.get(key) ?? []), record]);
    }
    const instances: JobInstance[] = [];
    await Promise.all(
      [...groups.values()].map((group) =>
        withEc2(group[0]!, async (ec2) => {
          instances.push(
            ...(await listJobInstances(
              ec2,
              group.map((r) => r.jobId),
            )),
          );
        }),
      ),
    );
    // Read after the instances: one gone before this read left its exit record first (no false preemption).
    const controls = await readControlFolders(
      reader,
      records.map((record) => ({
        uri: controlFolder(record.runDir, currentEc2Attempt(record).attempt),
        storage: storageOf(record),
      })),
    );
    return records.map((record, i) => {
      const current = currentEc2Attempt(record);
      const control = controls[i]!;
      if (control.final) return control.final;
      const mine = instances.filter((x) => x.jobId === record.jobId && x.attempt === current.attempt);
      return attemptStatus({
        attempt: current.attempt,
        replicas: record.replicas,
        control,
        restarts: record.attempts.slice(1).map((a, k) => ({
          attempt: a.attempt,
          at: a.startedAt,
          reason: record.attempts[k]!.restartReason ?? 'restarted',
        })),
        startedAt: current.startedAt,
        machineOf: (replica) => {
          const of = mine.filter((x) => x.replica === replica.name);
          // A live one first: a replica has one instance per attempt, but a lost answer could have made two.
          const instance = of.find((x) => x.state === 'pending' || x.state === 'running') ?? of[0];
          return machineFact(instance, replica.name, current.startedAt);
        },
      });
    });
  }

  function statusMany(handles: readonly JobHandle[]): Promise<JobStatus[]> {
    return pacer.many(
      handles.map((handle) => ec2RecordOf(handle)),
      pacingKey,
      readStatuses,
    );
  }

  return {
    name: 'ec2',
    capabilities: PROVIDER_CAPABILITIES.ec2,

    async planContext(jobId, replicaCount) {
      const assigned = new Map<string, number>();
      const free = ports === 'distinct' ? await allocatePorts(replicaCount, { host: LOOPBACK_HOST }) : [];
      return {
        addressOf(role: ReplicaRole, index: number) {
          const replica = `${role}-${index}`;
          if (!assigned.has(replica)) assigned.set(replica, free[assigned.size] ?? CLOUD_TF_PORT);
          return `${placeholderHost(jobId, replica)}:${assigned.get(replica)}`;
        },
      };
    },

    async submit(plan: ClusterPlan, context) {
      if (plan.provider.name !== 'ec2') {
        throw new StratoError('E_INTERNAL', `a ${plan.provider.name} plan was given to the ec2 provider`);
      }
      const callerEnv = { ...env, ...context.env };
      const region = ec2RegionOf(callerEnv, plan.provider.region);
      const stack = await readStack(callerEnv, region, plan.provider.stack);
      checkFit(plan, stack, plan.provider.stack, region);
      const ec2Endpoint = ec2EndpointOf(callerEnv);
      const s3Endpoint = callerEnv.AWS_ENDPOINT_URL_S3 ?? callerEnv.AWS_ENDPOINT_URL;
      const replicas = machineReplicasOf(plan.replicas);
      const record: Ec2JobRecord = {
        provider: 'ec2',
        jobId: context.jobId,
        stack: plan.provider.stack,
        region,
        launchTemplateId: stack.launchTemplateId,
        ...(stack.launchTemplateVersion ? { launchTemplateVersion: stack.launchTemplateVersion } : {}),
        subnetId: stack.subnetId,
        instanceType: stack.instanceType,
        runDir: plan.runDir.root,
        image: plan.image!,
        ...(plan.command ? { command: plan.command } : {}),
        args: plan.args,
        replicas,
        hosts: Object.fromEntries(replicas.map((r) => [r.name, placeholderHost(context.jobId, r.name)])),
        spot: plan.scheduling.spot,
        labels: plan.labels,
        ...(ec2Endpoint ? { ec2Endpoint } : {}),
        ...(s3Endpoint ? { s3Endpoint } : {}),
        attempts: [],
      };
      const handleOf = (data: Ec2JobRecord): JobHandle => ({
        provider: 'ec2',
        id: context.jobId,
        data: data as unknown as Record<string, unknown>,
      });
      context.onPrepared?.(handleOf({ ...record, attempts: [] }));
      const script = options.userData ?? (await loadUserData());
      const startedAt = new Date().toISOString();
      await withEc2(record, (ec2) => launchAttempt(ec2, record, 1, script));
      record.attempts.push({ attempt: 1, startedAt });
      return handleOf(record);
    },

    async status(handle) {
      return (await statusMany([handle]))[0]!;
    },

    statusMany,

    async startAttempt(handle, attempt, reason) {
      const record = ec2RecordOf(handle);
      if (currentEc2Attempt(record).attempt >= attempt) return handle;
      const script = options.userData ?? (await loadUserData());
      const startedAt = new Date().toISOString();
      // The ended attempts' instances go first; the new attempt's, if another process began it, are kept.
      await terminateEvery(record, attempt);
      await withEc2(record, (ec2) => launchAttempt(ec2, record, attempt, script));
      return handleWithAttempt(handle, record, reason, { attempt, startedAt });
    },

    reattachOptions() {
      return {
        ...(options.pollScale !== undefined ? { pollScale: options.pollScale } : {}),
        ...(options.userData !== undefined ? { userData: options.userData } : {}),
        ports,
      };
    },

    ...machineJobEnds(machineJob, statusMany),

    async abandon(handle) {
      await terminateEvery(ec2RecordOf(handle, { prepared: true }));
    },
  };
}

/** The registry's entry point. */
export const createProvider = createEc2Provider;
