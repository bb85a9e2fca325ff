/**
 * An `ArtifactRepository` deployed by Strato on the fake Artifact Registry,
 * checked with gcloud (`api_endpoint_overrides/artifactregistry`): listed and
 * described as deployed; a label changed with gcloud shows as drift; destroy
 * leaves nothing. Needs gcloud (test/README.md says how to install it or opt out).
 */

import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployStack, destroyStack, type InfraOptions, planStack } from '../../src/infra/engine.ts';
import {
  type FakeArtifactRegistry,
  fakeArtifactRegistryEnv,
  startFakeArtifactRegistry,
} from '../../src/testing/fake-artifact-registry/index.ts';
import { stackFolder } from '../support/infra.ts';
import { requireTool } from '../support/tools.ts';

const run = promisify(execFile);
requireTool('gcloud');

const STACK = `kind: Stack
name: images
project: my-project
region: us-central1
resources:
  ArtifactRepository:
    trainer: { description: Trainer images, immutableTags: true, labels: { team: ml } }
`;

describe('an Artifact Registry repository, checked with gcloud', () => {
  let fake: FakeArtifactRegistry;
  let env: NodeJS.ProcessEnv;
  let options: InfraOptions;
  const folder = stackFolder();

  beforeAll(async () => {
    fake = await startFakeArtifactRegistry();
    mkdirSync(join(folder.dir, 'config'));
    env = {
      ...process.env,
      ...fakeArtifactRegistryEnv(fake),
      CLOUDSDK_CONFIG: join(folder.dir, 'config'),
      CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
      CLOUDSDK_CORE_PROJECT: 'my-project',
      CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
      CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    };
    options = {
      file: folder.write('images.yaml', STACK),
      cwd: folder.dir,
      state: join(folder.dir, 'images.state.json'),
      env,
    };
  });
  afterAll(async () => {
    await fake?.close();
    folder.remove();
  });

  const gcloud = async (...args: string[]) =>
    JSON.parse((await run('gcloud', [...args, '--format=json'], { env, timeout: 60_000 })).stdout || 'null');

  it('deploys, shows a label changed with gcloud as drift, and destroys to nothing', async () => {
    const outcome = await deployStack(options);
    expect(outcome.result?.done).toEqual(['trainer']);
    const listed = (await gcloud('artifacts', 'repositories', 'list', '--location=us-central1')) as {
      name: string;
    }[];
    expect(listed.map((r) => r.name)).toEqual([
      'projects/my-project/locations/us-central1/repositories/images-trainer',
    ]);
    expect(
      await gcloud('artifacts', 'repositories', 'describe', 'images-trainer', '--location=us-central1'),
    ).toMatchObject({
      format: 'DOCKER',
      description: 'Trainer images',
      labels: { team: 'ml', 'strato-stack': 'images' },
      dockerConfig: { immutableTags: true },
    });
    const { state } = await planStack(options);
    expect(state.resources[0]!.outputs.imagePrefix).toBe(
      'us-central1-docker.pkg.dev/my-project/images-trainer',
    );
    expect((await planStack(options)).plan.hasChanges).toBe(false);

    await gcloud(
      'artifacts',
      'repositories',
      'update',
      'images-trainer',
      '--location=us-central1',
      '--update-labels=team=research',
    );
    const { plan } = await planStack(options);
    expect(plan.drift).toEqual([
      {
        id: 'trainer',
        kind: 'artifactregistry.repository',
        type: 'changed',
        changes: [{ path: 'labels.team', from: 'ml', to: 'research', forcesReplace: false }],
      },
    ]);

    await destroyStack(options);
    expect(await gcloud('artifacts', 'repositories', 'list', '--location=us-central1')).toEqual([]);
    // One gcloud process per check (1–2 s each, several times that on a loaded machine).
  }, 180_000);
});
