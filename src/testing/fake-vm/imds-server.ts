/**
 * One fake EC2 instance's metadata service (IMDS), IMDSv2 only, as a launch
 * template with `HttpTokens: required` makes it: `PUT /latest/api/token`
 * with `X-aws-ec2-metadata-token-ttl-seconds` (1–21600) gives a token, and
 * every read must carry it in `X-aws-ec2-metadata-token` (401 otherwise).
 * It serves what Strato's user data and the AWS CLI read: instance-id,
 * local-ipv4, local-hostname, placement, the instance's tags (only with
 * `InstanceMetadataTags: enabled`, else 404 as on EC2) and the user data.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/work-with-tags-in-IMDS.html
 *
 * One server per instance (its own port on 127.0.0.1), for the reason the
 * Compute metadata server has one per VM: the address alone says whose
 * metadata it is. The VM finds it through AWS_EC2_METADATA_SERVICE_ENDPOINT,
 * the variable the AWS SDKs and CLI read.
 */

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenHttp } from '../listen.ts';
import type { MetadataServer } from './metadata-server.ts';

/** What IMDS knows of an instance, read live (tags change after launch: the peers' names). */
export interface ImdsInstance {
  instanceId: string;
  privateIp: string;
  privateDnsName: string;
  region: string;
  availabilityZone: string;
  instanceType: string;
  userData: string;
  tags(): Record<string, string>;
  /** The instance's MetadataOptions.InstanceMetadataTags is `enabled`. */
  tagsInMetadata(): boolean;
}

/** IMDSv2's limit on a token's life (the header's allowed range). */
const MAX_TTL_SEC = 21_600;

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain' });
  res.end(body);
}

function read(instance: ImdsInstance, path: string): string | undefined {
  if (path === 'user-data') return instance.userData;
  const fixed: Record<string, string> = {
    'meta-data/instance-id': instance.instanceId,
    'meta-data/instance-type': instance.instanceType,
    'meta-data/local-ipv4': instance.privateIp,
    'meta-data/local-hostname': instance.privateDnsName,
    'meta-data/hostname': instance.privateDnsName,
    'meta-data/placement/region': instance.region,
    'meta-data/placement/availability-zone': instance.availabilityZone,
  };
  if (path in fixed) return fixed[path];
  if (path === 'meta-data/tags/instance' || path.startsWith('meta-data/tags/instance/')) {
    if (!instance.tagsInMetadata()) return undefined;
    const tags = instance.tags();
    if (path === 'meta-data/tags/instance') return Object.keys(tags).join('\n');
    return tags[decodeURIComponent(path.slice('meta-data/tags/instance/'.length))];
  }
  return undefined;
}

export function startImdsServer(instance: ImdsInstance): Promise<MetadataServer> {
  const tokens = new Map<string, number>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://imds');
    if (url.pathname === '/latest/api/token') {
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (req.method !== 'PUT') return reply(res, 405, 'Method Not Allowed');
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SEC) return reply(res, 400, 'Bad Request');
      const token = randomBytes(24).toString('base64url');
      tokens.set(token, Date.now() + ttl * 1000);
      return reply(res, 200, token);
    }
    const token = String(req.headers['x-aws-ec2-metadata-token'] ?? '');
    if (!(tokens.get(token)! > Date.now())) return reply(res, 401, 'Unauthorized');
    if (req.method !== 'GET') return reply(res, 405, 'Method Not Allowed');
    if (!url.pathname.startsWith('/latest/')) return reply(res, 404, 'Not Found');
    const value = read(instance, url.pathname.slice('/latest/'.length).replace(/\/$/, ''));
    if (value === undefined) return reply(res, 404, 'Not Found');
    return reply(res, 200, value);
  });
  return listenHttp(server, 0, '127.0.0.1').then((endpoint) => ({
    host: endpoint.slice('http://'.length),
    env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  }));
}
