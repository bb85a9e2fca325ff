/**
 * Kind → driver. Each driver (and the cloud client library it uses) is
 * loaded only when a stack has a resource of its kind, so planning a bucket
 * stack never loads the Compute or TPU clients. A new kind is one line in
 * `BUILTIN_DRIVERS`, or `registry.register(kind, load)` from the SDK.
 */

import { StratoError } from '../errors.ts';
import type { ResourceDriver } from './types.ts';

/** What every driver is built with: where its service is (a fake's endpoint in tests) and the environment. */
export interface DriverOptions {
  /** Read for the services' own variables (STORAGE_EMULATOR_HOST, credentials). */
  env: NodeJS.ProcessEnv;
  /** API endpoints by service (`storage`, `compute`, `tpu`, `iam`, `resourcemanager`); absent: the client library's default. */
  endpoints?: Partial<Record<string, string>>;
}

export type DriverLoader = (options: DriverOptions) => Promise<ResourceDriver>;

/** The drivers Strato ships, by kind. */
export const BUILTIN_DRIVERS: Readonly<Record<string, DriverLoader>> = {
  'gcs.bucket': async (options) =>
    (await import('./gcs/bucket-driver.ts')).createBucketDriver(options) as unknown as ResourceDriver,
  'gcs.bucket-iam-binding': async (options) =>
    (await import('./gcs/iam-binding-driver.ts')).createBucketIamBindingDriver(
      options,
    ) as unknown as ResourceDriver,
  'compute.network': async (options) =>
    (await import('./gcp/network-driver.ts')).createNetworkDriver(options) as unknown as ResourceDriver,
  'compute.firewall': async (options) =>
    (await import('./gcp/firewall-driver.ts')).createFirewallDriver(options) as unknown as ResourceDriver,
  'compute.instance': async (options) =>
    (await import('./gcp/instance-driver.ts')).createInstanceDriver(options) as unknown as ResourceDriver,
  'iam.service-account': async (options) =>
    (await import('./iam/service-account-driver.ts')).createServiceAccountDriver(
      options,
    ) as unknown as ResourceDriver,
  'iam.project-role-binding': async (options) =>
    (await import('./iam/project-role-binding-driver.ts')).createProjectRoleBindingDriver(
      options,
    ) as unknown as ResourceDriver,
  'artifactregistry.repository': async (options) =>
    (await import('./artifact-registry/artifact-repository-driver.ts')).createArtifactRepositoryDriver(
      options,
    ) as unknown as ResourceDriver,
  'tpu.queued-resource': async (options) =>
    (await import('./gcp/tpu-queued-resource.ts')).createTpuQueuedResourceDriver({
      env: options.env,
    }) as unknown as ResourceDriver,
};

export class DriverRegistry {
  private readonly loaders = new Map<string, DriverLoader>(Object.entries(BUILTIN_DRIVERS));
  private readonly loaded = new Map<string, Promise<ResourceDriver>>();
  readonly options: DriverOptions;

  constructor(options: DriverOptions) {
    this.options = options;
  }

  /** Adds or replaces the driver of a kind (a test driver, or one from outside Strato). */
  register(kind: string, load: DriverLoader | ResourceDriver): this {
    this.loaders.set(kind, typeof load === 'function' ? load : async () => load);
    this.loaded.delete(kind);
    return this;
  }

  kinds(): string[] {
    return [...this.loaders.keys()].sort();
  }

  has(kind: string): boolean {
    return this.loaders.has(kind);
  }

  /** The driver of a kind; E_UNSUPPORTED naming the known kinds when there is none. */
  get(kind: string): Promise<ResourceDriver> {
    const load = this.loaders.get(kind);
    if (!load) {
      return Promise.reject(
        new StratoError('E_UNSUPPORTED', `no driver for resource kind "${kind}"`, {
          hint: `known kinds: ${this.kinds().join(', ')}`,
        }),
      );
    }
    let driver = this.loaded.get(kind);
    if (!driver) {
      driver = load(this.options);
      this.loaded.set(kind, driver);
    }
    return driver;
  }
}
