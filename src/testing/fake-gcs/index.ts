/** The fake Cloud Storage service: one folder, composed with the other fakes by `fake-cloud.ts`. */

export { type Blob, type BlobStore, diskBlobStore, memoryBlobStore } from './blobs.ts';
export type { FakeGcsCounters } from './context.ts';
export { type Fault, FaultInjector, type FaultOptions, type FaultRule, type RandomFaults } from './faults.ts';
export {
  type FakeGcs,
  type FakeGcsBucket,
  type FakeGcsOptions,
  type RequestLogEntry,
  startFakeGcs,
} from './server.ts';
export type { StoredBucket, StoredObject } from './state.ts';

/** The project the printed env names: any value passes the fake's `project` check; this one looks like a number. */
export const FAKE_PROJECT_NUMBER = '123456789012';

/**
 * Environment that points clients at a fake Cloud Storage endpoint:
 * `@google-cloud/storage` (and the Python and Go clients) through
 * `STORAGE_EMULATOR_HOST`; `gcloud storage` through its endpoint override
 * with credentials disabled (CLOUDSDK_<SECTION>_<PROPERTY> maps to
 * `gcloud config` properties); rclone through a remote named `fakegcs`
 * (RCLONE_CONFIG_<NAME>_<OPTION>), anonymous, on the JSON API base path.
 */
export function fakeGcsEnv(endpoint: string): Record<string, string> {
  return {
    STORAGE_EMULATOR_HOST: endpoint,
    CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE: `${endpoint}/`,
    CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
    RCLONE_CONFIG_FAKEGCS_TYPE: 'google cloud storage',
    RCLONE_CONFIG_FAKEGCS_ENDPOINT: `${endpoint}/storage/v1/`,
    RCLONE_CONFIG_FAKEGCS_ANONYMOUS: 'true',
    // rclone sends it as `project` on buckets.list / insert (lsd, mkdir), which the service requires.
    RCLONE_CONFIG_FAKEGCS_PROJECT_NUMBER: FAKE_PROJECT_NUMBER,
  };
}
