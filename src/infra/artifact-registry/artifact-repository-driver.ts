/**
 * The `artifactregistry.repository` driver over the Artifact Registry v1
 * JSON API (https://cloud.google.com/artifact-registry/docs/reference/rest/v1/projects.locations.repositories),
 * through `../google-json-api.ts` (no client library is a dependency;
 * `STRATO_ARTIFACT_REGISTRY_ENDPOINT` points it at a fake). Reads list each
 * project and location once. Create and delete are long-running operations,
 * polled to the end. Description, labels and immutable tags change in place.
 */

import { StratoError } from '../../errors.ts';
import { sleep } from '../../internal/sleep.ts';
import { diffProps } from '../diff.ts';
import { createJsonApi, type JsonApi, jsonApiEndpoint } from '../google-json-api.ts';
import type { DriverOptions } from '../registry.ts';
import { type ActualResource, type CloudRef, type ResourceDriver, STACK_LABEL } from '../types.ts';
import { ARTIFACT_REPOSITORY_KIND, type ArtifactRepositoryProps } from './artifact-repository.ts';

export const ARTIFACT_REGISTRY_ENDPOINT_ENV = 'STRATO_ARTIFACT_REGISTRY_ENDPOINT';

const IN_PLACE = new Set(['description', 'labels', 'immutableTags']);
/** How often a long-running operation is looked at again. */
const POLL_MS = 1000;

interface RepositoryJson {
  name: string;
  format?: string;
  description?: string;
  labels?: Record<string, string>;
  dockerConfig?: { immutableTags?: boolean };
}

interface OperationJson {
  name: string;
  done?: boolean;
  error?: { code?: number; message?: string };
}

const parentOf = (ref: CloudRef) =>
  `v1/projects/${encodeURIComponent(ref.project)}/locations/${encodeURIComponent(ref.location)}`;

function actualOf(repository: RepositoryJson, ref: CloudRef): ActualResource<ArtifactRepositoryProps> {
  const { [STACK_LABEL]: stackLabel, ...labels } = repository.labels ?? {};
  return {
    ref,
    props: {
      repositoryId: ref.name,
      project: ref.project,
      location: ref.location,
      ...(repository.description ? { description: repository.description } : {}),
      immutableTags: repository.dockerConfig?.immutableTags === true,
      labels,
    },
    outputs: {
      name: repository.name,
      imagePrefix: `${ref.location}-docker.pkg.dev/${ref.project}/${ref.name}`,
    },
    ...(stackLabel ? { stackLabel } : {}),
  };
}

function bodyOf(props: ArtifactRepositoryProps, labels: Record<string, string>): RepositoryJson {
  return {
    name: '',
    format: 'DOCKER',
    ...(props.description ? { description: props.description } : {}),
    labels,
    dockerConfig: { immutableTags: props.immutableTags },
  };
}

export function createArtifactRepositoryDriver(
  options: DriverOptions,
): ResourceDriver<ArtifactRepositoryProps> {
  let client: JsonApi | undefined;
  const api = () => {
    client ??= createJsonApi({
      endpoint: jsonApiEndpoint(
        options.endpoints?.artifactregistry ?? options.env[ARTIFACT_REGISTRY_ENDPOINT_ENV],
        options.endpoints?.artifactregistry
          ? 'the artifactregistry endpoint'
          : ARTIFACT_REGISTRY_ENDPOINT_ENV,
        'artifactregistry.googleapis.com',
      ),
      service: 'the Artifact Registry API',
      permissionHint: 'the deploying account needs roles/artifactregistry.admin on the project',
    });
    return client;
  };

  async function readOne(ref: CloudRef): Promise<RepositoryJson | undefined> {
    try {
      return await api().request<RepositoryJson>(
        'GET',
        `${parentOf(ref)}/repositories/${encodeURIComponent(ref.name)}`,
        `reading repository ${ref.name}`,
      );
    } catch (error) {
      if ((error as StratoError).code === 'E_NOT_FOUND') return undefined;
      throw error;
    }
  }

  async function untilDone(operation: OperationJson, action: string, signal?: AbortSignal): Promise<void> {
    let current = operation;
    while (!current.done) {
      await sleep(POLL_MS, signal);
      current = await api().request<OperationJson>('GET', `v1/${current.name}`, `waiting for ${action}`);
    }
    if (current.error?.message) {
      throw new StratoError('E_INTERNAL', `${action}: ${current.error.message}`, {
        hint: 'run `strato infra plan` to see what exists; deploy again to converge',
      });
    }
  }

  const driver: ResourceDriver<ArtifactRepositoryProps> = {
    kind: ARTIFACT_REPOSITORY_KIND,
    cloudName: (resource) => resource.props.repositoryId,
    refOf: (resource) => ({
      project: resource.props.project,
      location: resource.props.location,
      name: resource.props.repositoryId,
    }),

    async readMany(refs) {
      const found = new Map<string, ActualResource<ArtifactRepositoryProps>>();
      const places = new Map(refs.map((ref) => [`${ref.project}/${ref.location}`, ref]));
      // One list per project and location, however many repositories the stack has there.
      await Promise.all(
        [...places.values()].map(async (place) => {
          let pageToken = '';
          do {
            const page = await api().request<{ repositories?: RepositoryJson[]; nextPageToken?: string }>(
              'GET',
              `${parentOf(place)}/repositories?pageSize=1000${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`,
              `listing the repositories of ${place.project} in ${place.location}`,
            );
            for (const repository of page.repositories ?? []) {
              const id = repository.name.split('/').pop() ?? '';
              const ref = refs.find(
                (r) => r.name === id && r.project === place.project && r.location === place.location,
              );
              if (ref) found.set(ref.name, actualOf(repository, ref));
            }
            pageToken = page.nextPageToken ?? '';
          } while (pageToken);
        }),
      );
      return found;
    },

    diff: (before, after) => diffProps(before, after, IN_PLACE),

    async create(resource, context) {
      const ref = driver.refOf(resource, context);
      const claim = (existing: RepositoryJson) => {
        const actual = actualOf(existing, ref);
        if (actual.stackLabel === context.stack) return actual;
        throw new StratoError(
          'E_CONFLICT',
          `repository ${ref.name} in ${ref.location} exists already and is not stack ${context.stack}'s`,
          { hint: `adopt it with \`strato infra import ${resource.id}\`, or give it another repositoryId` },
        );
      };
      const before = await readOne(ref);
      if (before) return claim(before);
      const action = `creating repository ${ref.name} in ${ref.location}`;
      try {
        const operation = await api().request<OperationJson>(
          'POST',
          `${parentOf(ref)}/repositories?repositoryId=${encodeURIComponent(ref.name)}`,
          action,
          bodyOf(resource.props, { ...resource.props.labels, [STACK_LABEL]: context.stack }),
        );
        await untilDone(operation, action, context.signal);
      } catch (error) {
        if (!(error instanceof StratoError && error.code === 'E_CONFLICT')) throw error;
      }
      const after = await readOne(ref);
      if (!after) throw new StratoError('E_INTERNAL', `${action}: done, but it cannot be read back`);
      return claim(after);
    },

    async update(resource, actual, _changes, context) {
      const ref = actual.ref;
      const updated = await api().request<RepositoryJson>(
        'PATCH',
        `${parentOf(ref)}/repositories/${encodeURIComponent(ref.name)}?updateMask=description,labels,dockerConfig.immutableTags`,
        `updating repository ${ref.name}`,
        bodyOf(resource.props, { ...resource.props.labels, [STACK_LABEL]: context.stack }),
      );
      return actualOf(updated, ref);
    },

    async claim(actual, _resource, context) {
      const ref = actual.ref;
      const updated = await api().request<RepositoryJson>(
        'PATCH',
        `${parentOf(ref)}/repositories/${encodeURIComponent(ref.name)}?updateMask=labels`,
        `labelling repository ${ref.name}`,
        { labels: { ...actual.props.labels, [STACK_LABEL]: context.stack } },
      );
      return actualOf(updated, ref);
    },

    async delete(recorded, context) {
      const ref = recorded.ref;
      const action = `deleting repository ${ref.name} in ${ref.location}`;
      try {
        const operation = await api().request<OperationJson>(
          'DELETE',
          `${parentOf(ref)}/repositories/${encodeURIComponent(ref.name)}`,
          action,
        );
        await untilDone(operation, action, context.signal);
      } catch (error) {
        if ((error as StratoError).code !== 'E_NOT_FOUND') throw error;
      }
    },
  };
  return driver;
}
