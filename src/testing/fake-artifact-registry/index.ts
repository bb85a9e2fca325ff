/** The fake Artifact Registry: repositories and operations over its v1 JSON API on loopback. */

import { ARTIFACT_REGISTRY_ENDPOINT_ENV } from '../../infra/artifact-registry/artifact-repository-driver.ts';

export {
  type FakeArtifactRegistry,
  REPOSITORY_LOCATIONS,
  startFakeArtifactRegistry,
} from './server.ts';

/** Environment that points Strato (its endpoint variable) and gcloud (its endpoint override) at the fake. */
export function fakeArtifactRegistryEnv(fake: { endpoint: string; restUrl: string }): Record<string, string> {
  return {
    [ARTIFACT_REGISTRY_ENDPOINT_ENV]: fake.endpoint,
    CLOUDSDK_API_ENDPOINT_OVERRIDES_ARTIFACTREGISTRY: fake.restUrl,
  };
}
