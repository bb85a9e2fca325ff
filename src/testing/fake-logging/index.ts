/** The fake Cloud Logging: entries:write and entries:list over gRPC and REST on loopback. */

export type { LogEntryInput, LogEntryRecord, MonitoredResource } from './entries.ts';
export { type FakeLogging, type FakeLoggingOptions, startFakeLogging } from './server.ts';

/**
 * Environment that points clients at a fake Cloud Logging: Strato (and its
 * vertex provider's `logs`) through `STRATO_LOGGING_ENDPOINT` (`http://` =
 * plaintext gRPC), gcloud through its REST endpoint override.
 */
export function fakeLoggingEnv(fake: { endpoint: string; restUrl: string }): Record<string, string> {
  return {
    STRATO_LOGGING_ENDPOINT: `http://${fake.endpoint}`,
    CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING: fake.restUrl,
  };
}
