/**
 * `ArtifactRepository`: an Artifact Registry Docker repository for the
 * trainer images (https://cloud.google.com/artifact-registry/docs/repositories/create-repos).
 * Images are pushed to `outputs.imagePrefix/IMAGE:TAG`, i.e.
 * `LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE:TAG`. Workers pull with
 * `roles/artifactregistry.reader` (a service account's allowed role).
 */

import type { Construct } from 'constructs';
import { z } from 'zod';
import { InfraResource, type Stack } from '../construct.ts';
import { ComputeLabelsSchema } from '../gcp/construct-props.ts';
import { computeName } from '../gcp/naming.ts';
import { validateProps } from '../props.ts';

export const ARTIFACT_REPOSITORY_KIND = 'artifactregistry.repository';

/** The repository id rule of the API (lowercase letters, digits, hyphens; a letter first; ≤ 63). */
export const REPOSITORY_ID = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const ArtifactRepositoryPropsSchema = z.strictObject({
  repositoryId: z
    .string()
    .regex(REPOSITORY_ID, 'must be 1-63 lowercase letters, digits and -, starting with a letter')
    .optional()
    .describe('The repository id; default from the stack and id.'),
  project: z.string().min(1).optional().describe("Project; default the stack's."),
  location: z
    .string()
    .regex(/^([a-z]+-[a-z]+\d+|us|europe|asia)$/, 'must be a region (us-central1) or us, europe, asia')
    .optional()
    .describe("Region or multi-region; default the stack's region."),
  description: z.string().max(256).optional().describe('Shown in the console.'),
  immutableTags: z
    .boolean()
    .default(false)
    .describe('Refuse to move a tag once pushed (a training run always pulls what it was given).'),
  labels: ComputeLabelsSchema.default({}),
});

export type ArtifactRepositoryPropsInput = z.input<typeof ArtifactRepositoryPropsSchema>;

/** What the driver receives. */
export interface ArtifactRepositoryProps {
  repositoryId: string;
  project: string;
  location: string;
  description?: string;
  immutableTags: boolean;
  labels: Record<string, string>;
}

export class ArtifactRepository extends InfraResource<ArtifactRepositoryProps> {
  readonly kind = ARTIFACT_REPOSITORY_KIND;

  constructor(scope: Construct, id: string, props: ArtifactRepositoryPropsInput = {}) {
    super(scope, id, {} as ArtifactRepositoryProps);
    const stack = this.node.root as Stack;
    const parsed = validateProps(ArtifactRepositoryPropsSchema, props, this.resourceId, (p) =>
      p && !p.location && !stack.props.region
        ? [
            {
              path: 'location',
              message: 'no location: neither the repository nor the stack names a region',
              fix: "set location: 'us-central1' here, or region in the Stack's props",
            },
          ]
        : [],
    );
    (this as { props: ArtifactRepositoryProps }).props = {
      repositoryId: parsed.repositoryId ?? computeName(stack.stackName, this.resourceId),
      project: parsed.project ?? stack.props.project,
      location: (parsed.location ?? stack.props.region)!,
      ...(parsed.description ? { description: parsed.description } : {}),
      immutableTags: parsed.immutableTags,
      labels: { ...(stack.props.labels ?? {}), ...parsed.labels },
    };
  }

  /** `LOCATION-docker.pkg.dev/PROJECT/REPOSITORY`: where images are pushed and pulled. */
  get imagePrefix(): string {
    const { location, project, repositoryId } = this.props;
    return `${location}-docker.pkg.dev/${project}/${repositoryId}`;
  }
}
