/**
 * What a machine of a job is given at create: the `strato-launch` JSON (the
 * image and what each replica on the machine runs) and the metadata keys of
 * `src/agent/layout.ts`, with the startup script that reads them.
 */

import { type MachineLaunch, MachineLaunchSchema, METADATA_KEYS } from '../../agent/layout.ts';

export interface LaunchInput {
  image: string;
  command?: string[] | undefined;
  args: string[];
  dockerFlags: string[];
  replicas: MachineLaunch['replicas'];
}

/** The `strato-launch` document, checked against the schema the startup script's readers share. */
export function buildLaunch(input: LaunchInput): MachineLaunch {
  return MachineLaunchSchema.parse({
    image: input.image,
    ...(input.command ? { command: input.command } : {}),
    args: input.args,
    dockerFlags: input.dockerFlags,
    replicas: input.replicas,
  });
}

export interface MetadataInput {
  startupScript: string;
  jobId: string;
  attempt: number;
  /** gs:// URI of the attempt's control folder. */
  control: string;
  /** The Cloud Storage JSON API base the script uploads to; absent: the real service. */
  storageApi?: string | undefined;
  launch: MachineLaunch;
  /** GCE: the replica this VM runs. */
  replica?: string;
  /** GCE: turn guest attributes on. */
  guestAttributes?: boolean;
}

export function machineMetadata(input: MetadataInput): Record<string, string> {
  return {
    [METADATA_KEYS.startupScript]: input.startupScript,
    [METADATA_KEYS.job]: input.jobId,
    [METADATA_KEYS.attempt]: String(input.attempt),
    [METADATA_KEYS.control]: input.control,
    ...(input.storageApi ? { [METADATA_KEYS.storageApi]: input.storageApi } : {}),
    [METADATA_KEYS.launch]: JSON.stringify(input.launch),
    ...(input.replica ? { [METADATA_KEYS.replica]: input.replica } : {}),
    ...(input.guestAttributes ? { [METADATA_KEYS.guestAttributes]: 'TRUE' } : {}),
  };
}
