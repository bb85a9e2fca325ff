/**
 * One fake VM's metadata server: the part of
 * `http://metadata.google.internal/computeMetadata/v1/` a startup script and
 * the Google client libraries read — instance attributes, name, hostname,
 * zone, project, a service-account token — and the guest attributes the VM
 * writes. It refuses a request without `Metadata-Flavor: Google` as the real
 * one does (403), and answers with that header.
 * (https://cloud.google.com/compute/docs/metadata/querying-metadata,
 * https://cloud.google.com/compute/docs/metadata/manage-guest-attributes)
 *
 * `?wait_for_change=true` holds the answer until the value's ETag differs
 * from `last_etag` (at once when none is given or it differs already) or
 * `timeout_sec` passes, as the real server's long poll does; metadata is
 * read live from the fake service, so a `setMetadata` or a node patch wakes
 * a waiting VM (https://cloud.google.com/compute/docs/metadata/querying-metadata#waitforchange).
 *
 * Why one server per VM: `GCE_METADATA_HOST` is `host:port`, with no room
 * for a path that would tell VMs apart, and a process cannot be made to
 * send a header of ours; so each VM gets its own port on 127.0.0.1, and the
 * server knows whose metadata it serves without asking.
 */

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { sleep } from '../../internal/sleep.ts';
import { listenHttp } from '../listen.ts';
import { FAKE_PROJECT_NUMBER, type VmIdentity } from './identity.ts';

export interface MetadataServer {
  /** `127.0.0.1:PORT`: the VM's `GCE_METADATA_HOST`. */
  host: string;
  /** More environment the VM's processes get to find it (EC2's IMDS: AWS_EC2_METADATA_SERVICE_ENDPOINT). */
  env?: Record<string, string>;
  close(): Promise<void>;
}

const PREFIX = '/computeMetadata/v1/';
/** Seconds a token lives, as the real server's `expires_in` counts down from about an hour. */
const TOKEN_TTL_SEC = 3599;
/** A long poll without `timeout_sec` waits at most this long (the real server's limit is longer; tests do not wait that long). */
const DEFAULT_WAIT_SEC = 300;
/** How often a long poll looks at the live metadata again. */
const WAIT_TICK_MS = 100;

function reply(res: ServerResponse, status: number, body: string, type = 'application/text'): void {
  res.writeHead(status, { 'Metadata-Flavor': 'Google', 'Content-Type': type, ETag: etagOf(body) });
  res.end(body);
}

/** The server's ETag of a value: changes whenever the value does. */
function etagOf(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 16);
}

/** The value once its ETag differs from `lastEtag` (or at once), or as it is when `timeoutSec` passes. */
async function waitForChange(
  readNow: () => string | undefined,
  lastEtag: string | null,
  timeoutSec: number,
  closed: () => boolean,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutSec * 1000;
  let value = readNow();
  while (
    lastEtag !== null &&
    value !== undefined &&
    etagOf(value) === lastEtag &&
    Date.now() < deadline &&
    !closed()
  ) {
    await sleep(WAIT_TICK_MS);
    value = readNow();
  }
  return value;
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The answer to a GET of `path` (after `/computeMetadata/v1/`), or undefined for a 404. */
function read(vm: VmIdentity, path: string, recursive: boolean): string | undefined {
  const attributes = vm.attributes();
  if (path === 'instance/attributes/') {
    return recursive ? JSON.stringify(attributes) : Object.keys(attributes).join('\n');
  }
  if (path.startsWith('instance/attributes/')) return attributes[path.slice('instance/attributes/'.length)];
  const email = `${FAKE_PROJECT_NUMBER}-compute@developer.gserviceaccount.com`;
  const fixed: Record<string, string> = {
    'instance/name': vm.name,
    'instance/hostname': vm.hostname,
    'instance/id': vm.instanceId,
    'instance/zone': `projects/${FAKE_PROJECT_NUMBER}/zones/${vm.zone}`,
    'instance/network-interfaces/0/ip': vm.ip,
    'project/project-id': vm.project,
    'project/numeric-project-id': FAKE_PROJECT_NUMBER,
    'instance/service-accounts/': `default/\n${email}/\n`,
    'instance/service-accounts/default/email': email,
    'instance/service-accounts/default/scopes': 'https://www.googleapis.com/auth/cloud-platform\n',
    'instance/service-accounts/default/token': JSON.stringify({
      access_token: `ya29.fake-vm-token-${vm.name}`,
      expires_in: TOKEN_TTL_SEC,
      token_type: 'Bearer',
    }),
  };
  return fixed[path];
}

async function handle(vm: VmIdentity, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://metadata');
  if (url.pathname === '/' || url.pathname === '/computeMetadata/') {
    reply(res, 200, url.pathname === '/' ? 'computeMetadata/\n' : 'v1/\n');
    return;
  }
  if (req.headers['metadata-flavor'] !== 'Google') {
    reply(
      res,
      403,
      `Your client does not have permission to get URL ${url.pathname} from this server. ` +
        'Missing Metadata-Flavor:Google header.\n',
    );
    return;
  }
  if (!url.pathname.startsWith(PREFIX)) {
    reply(res, 404, 'Not Found\n');
    return;
  }
  const path = url.pathname.slice(PREFIX.length);
  const guest = /^instance\/guest-attributes\/([^/]+)\/([^/]*)$/.exec(path);
  if (guest) {
    const [, namespace, key] = guest as unknown as [string, string, string];
    if (!vm.guestAttributesEnabled()) {
      reply(res, 403, 'Guest attributes endpoint access is disabled.\n');
      return;
    }
    if (req.method === 'PUT') {
      vm.setGuestAttribute(namespace, key, await readText(req));
      reply(res, 200, '');
      return;
    }
    const value = key ? vm.getGuestAttribute(namespace, key) : undefined;
    if (value === undefined) reply(res, 404, 'Not Found\n');
    else reply(res, 200, value);
    return;
  }
  if (req.method !== 'GET') {
    reply(res, 405, 'Method Not Allowed\n');
    return;
  }
  const readNow = () => read(vm, path, url.searchParams.get('recursive') === 'true');
  let value = readNow();
  if (url.searchParams.get('wait_for_change') === 'true') {
    const timeoutSec = Number(url.searchParams.get('timeout_sec') ?? DEFAULT_WAIT_SEC);
    value = await waitForChange(
      readNow,
      url.searchParams.get('last_etag'),
      Number.isFinite(timeoutSec) && timeoutSec > 0 ? timeoutSec : DEFAULT_WAIT_SEC,
      () => res.destroyed || req.destroyed,
    );
  }
  if (value === undefined) reply(res, 404, 'Not Found\n');
  else reply(res, 200, value, value.startsWith('{') ? 'application/json' : 'application/text');
}

export async function startMetadataServer(vm: VmIdentity): Promise<MetadataServer> {
  const server = createServer((req, res) => {
    handle(vm, req, res).catch((error: unknown) => reply(res, 500, `${String(error)}\n`));
  });
  const endpoint = await listenHttp(server, 0, '127.0.0.1');
  return {
    host: endpoint.slice('http://'.length),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
