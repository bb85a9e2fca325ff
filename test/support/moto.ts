/**
 * moto_server — AWS's own fake (CloudFormation, EC2, S3, IAM, SSM, Logs on
 * one port) — started on a free 127.0.0.1 port for one test file, and the
 * environment that points the AWS SDK and the `aws` CLI at it
 * (AWS_ENDPOINT_URL, dummy credentials). Started through
 * test/support/moto_server.py, which fills one gap of moto (the DLAMI's public
 * SSM parameter); other gaps are worked around where they bite, each
 * documented there. Where moto is missing this throws with how to install it
 * (test/setup/ensure-tools.sh installs it with pip): never a silent skip.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sleep } from '../../src/internal/sleep.ts';

export interface Moto {
  endpoint: string;
  /** AWS_ENDPOINT_URL, dummy keys, region us-east-1: for the SDK, the CLI and `aws`. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const SERVER = join(import.meta.dirname, 'moto_server.py');

export function requireMoto(): void {
  try {
    execFileSync('python3', ['-c', 'import moto.server, flask'], { stdio: 'pipe' });
  } catch {
    throw new Error(
      'moto_server is not installed, and the AWS tests drive it: run `bash test/setup/ensure-tools.sh` ' +
        '(pip install "moto[server]").',
    );
  }
}

export async function startMoto(): Promise<Moto> {
  requireMoto();
  const port = await freePort();
  const child: ChildProcess = spawn('python3', [SERVER, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  // A ceiling, not a speed check: moto imports every AWS service it fakes, slow on a loaded machine.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${stderr}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${endpoint} within 60 s: ${stderr}`);
    }
    await sleep(100);
  }
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** Runs the `aws` CLI against moto and parses its JSON answer. */
export function awsCli(moto: Moto, args: string[]): unknown {
  const out = execFileSync('aws', [...args, '--output', 'json'], {
    env: { ...process.env, ...moto.env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out.trim() ? JSON.parse(out) : undefined;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/**
 * moto's CloudFormation has no delete for AWS::EC2::RouteTable (nor its
 * association), so the VPC it made keeps a route table and DeleteStack fails
 * with DependencyViolation. AWS deletes them; here the test removes the
 * stack's route tables with the EC2 API first, as AWS's delete would.
 */
export function removeRouteTablesMotoCannotDelete(moto: Moto, stack: string): void {
  const { StackResources } = awsCli(moto, [
    'cloudformation',
    'describe-stack-resources',
    '--stack-name',
    stack,
  ]) as {
    StackResources: { ResourceType: string; PhysicalResourceId: string }[];
  };
  const vpcId = StackResources.find((r) => r.ResourceType === 'AWS::EC2::VPC')?.PhysicalResourceId;
  if (!vpcId) return;
  const { RouteTables } = awsCli(moto, [
    'ec2',
    'describe-route-tables',
    '--filters',
    `Name=vpc-id,Values=${vpcId}`,
  ]) as {
    RouteTables: {
      RouteTableId: string;
      Associations: { RouteTableAssociationId: string; Main: boolean }[];
    }[];
  };
  for (const table of RouteTables) {
    // The main table goes with the VPC (moto deletes it too).
    if (table.Associations.some((a) => a.Main)) continue;
    for (const association of table.Associations) {
      if (!association.Main)
        awsCli(moto, [
          'ec2',
          'disassociate-route-table',
          '--association-id',
          association.RouteTableAssociationId,
        ]);
    }
    awsCli(moto, ['ec2', 'delete-route-table', '--route-table-id', table.RouteTableId]);
  }
}
