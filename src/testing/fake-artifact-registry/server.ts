/**
 * A fake Artifact Registry on loopback: the v1 JSON API's repositories
 * (create, get, list, patch, delete) and operations, which Strato's driver
 * and `gcloud artifacts repositories` (`api_endpoint_overrides/artifactregistry`)
 * speak. Its rules are the service's: a repository id of lowercase letters,
 * digits and hyphens (a letter first, ≤ 63), a known location, a known
 * format, ALREADY_EXISTS (409) for a taken id. Creates and deletes answer
 * with an operation that is already done.
 */

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { alreadyExists, GoogleApiError, invalidArgument, notFound } from '../fake-iam/errors.ts';
import { listenHttp } from '../listen.ts';

/** Locations it serves (https://cloud.google.com/artifact-registry/docs/repositories/repo-locations), a subset. */
export const REPOSITORY_LOCATIONS = [
  'us-central1',
  'us-central2',
  'us-east1',
  'us-east4',
  'us-east5',
  'us-west1',
  'us-west4',
  'europe-west1',
  'europe-west4',
  'asia-east1',
  'asia-southeast1',
  'us',
  'europe',
  'asia',
];
const FORMATS = new Set(['DOCKER', 'MAVEN', 'NPM', 'PYTHON', 'APT', 'YUM', 'GO', 'KFP', 'GENERIC']);
const REPOSITORY_ID = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

type Json = Record<string, unknown>;

export interface FakeArtifactRegistry {
  /** `http://127.0.0.1:PORT`: STRATO_ARTIFACT_REGISTRY_ENDPOINT. */
  endpoint: string;
  /** `http://127.0.0.1:PORT/`: gcloud's `api_endpoint_overrides/artifactregistry`. */
  restUrl: string;
  /** Repositories by full name (`projects/P/locations/L/repositories/ID`). */
  repositories: Map<string, Json>;
  close(): Promise<void>;
}

export async function startFakeArtifactRegistry(
  options: { host?: string; port?: number } = {},
): Promise<FakeArtifactRegistry> {
  const repositories = new Map<string, Json>();
  const operations = new Map<string, Json>();

  const done = (parent: string, response: Json): Json => {
    const name = `${parent}/operations/${randomUUID()}`;
    const operation = { name, done: true, response };
    operations.set(name, operation);
    return operation;
  };

  const route = (method: string, path: string, query: URLSearchParams, body: Json): unknown => {
    const operation = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/operations\/[^/]+)$/.exec(path);
    if (operation && method === 'GET') {
      const found = operations.get(operation[1]!);
      if (!found) throw notFound(`Operation ${operation[1]} not found.`);
      return found;
    }
    const match = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/repositories(?:\/([^/]+))?$/.exec(path);
    if (!match) throw notFound(`${method} ${path} is not a method of this fake`);
    const [, project, location, id] = match as unknown as [string, string, string, string | undefined];
    const parent = `projects/${project}/locations/${location}`;
    if (!REPOSITORY_LOCATIONS.includes(location))
      throw invalidArgument(`Invalid location "${location}": not an Artifact Registry location.`);
    if (id === undefined && method === 'GET') {
      const all = [...repositories.values()]
        .filter((repository) => String(repository.name).startsWith(`${parent}/`))
        .sort((a, b) => String(a.name).localeCompare(String(b.name)));
      return { repositories: all };
    }
    if (id === undefined && method === 'POST') {
      const repositoryId = query.get('repositoryId') ?? '';
      if (!REPOSITORY_ID.test(repositoryId))
        throw invalidArgument(
          `Invalid repository id "${repositoryId}": it must start with a letter, contain only lowercase letters, numbers and hyphens, end with a letter or number, and be at most 63 characters.`,
        );
      if (!FORMATS.has(String(body.format ?? '')))
        throw invalidArgument(`Invalid format "${String(body.format ?? '')}".`);
      const name = `${parent}/repositories/${repositoryId}`;
      if (repositories.has(name)) throw alreadyExists(`the repository already exists`);
      const now = new Date().toISOString();
      const repository: Json = {
        ...body,
        name,
        mode: 'STANDARD_REPOSITORY',
        createTime: now,
        updateTime: now,
      };
      repositories.set(name, repository);
      return done(parent, repository);
    }
    const name = `${parent}/repositories/${id}`;
    const repository = repositories.get(name);
    if (!repository) throw notFound(`Requested entity was not found.`);
    if (method === 'GET') return repository;
    if (method === 'DELETE') {
      repositories.delete(name);
      return done(parent, {});
    }
    if (method === 'PATCH') {
      const mask = (query.get('updateMask') ?? '').split(',').filter(Boolean);
      if (mask.length === 0) throw invalidArgument('update_mask is required.');
      for (const field of mask) {
        if (field === 'description' || field === 'labels') repository[field] = body[field];
        else if (field === 'dockerConfig.immutableTags' || field === 'docker_config.immutable_tags')
          repository.dockerConfig = {
            immutableTags: (body.dockerConfig as Json | undefined)?.immutableTags === true,
          };
        else throw invalidArgument(`Invalid update_mask path: ${field}.`);
      }
      repository.updateTime = new Date().toISOString();
      return repository;
    }
    throw notFound(`${method} ${path} is not a method of this fake`);
  };

  const server = createServer((req, res) => void handle(req, res, route));
  const endpoint = await listenHttp(server, options.port ?? 0, options.host ?? '127.0.0.1');
  let closed: Promise<void> | undefined;
  return {
    endpoint,
    restUrl: `${endpoint}/`,
    repositories,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  route: (method: string, path: string, query: URLSearchParams, body: Json) => unknown,
): Promise<void> {
  const send = (status: number, body: unknown) => {
    if (res.headersSent || res.destroyed) return;
    const data = Buffer.from(JSON.stringify(body));
    res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': data.length,
    });
    res.end(data);
  };
  try {
    const method = (req.method ?? 'GET').toUpperCase();
    const [pathname, search = ''] = (req.url ?? '/').split('?') as [string, string?];
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8').trim();
    let body: Json = {};
    if (text) {
      try {
        body = JSON.parse(text) as Json;
      } catch {
        throw invalidArgument('Invalid JSON payload received.');
      }
    }
    send(200, route(method, pathname, new URLSearchParams(search), body));
  } catch (error) {
    const known =
      error instanceof GoogleApiError ? error : new GoogleApiError(500, 'INTERNAL', (error as Error).message);
    send(known.code, known.body());
  }
}
