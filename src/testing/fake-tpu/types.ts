/**
 * The REST JSON of the Cloud TPU v2 resources the fake stores (proto3 JSON:
 * camelCase, enums as names, timestamps as RFC 3339 strings).
 * (https://cloud.google.com/tpu/docs/reference/rest/v2/projects.locations.nodes#Node,
 * .../projects.locations.queuedResources#QueuedResource)
 */

export interface NodeJson {
  name?: string;
  description?: string;
  acceleratorType?: string;
  acceleratorConfig?: { type?: string; topology?: string };
  state?: string;
  runtimeVersion?: string;
  networkConfig?: {
    network?: string;
    subnetwork?: string;
    enableExternalIps?: boolean;
    canIpForward?: boolean;
  };
  cidrBlock?: string;
  serviceAccount?: { email?: string; scope?: string[] };
  createTime?: string;
  schedulingConfig?: { preemptible?: boolean; reserved?: boolean; spot?: boolean };
  networkEndpoints?: { ipAddress: string; port: number; accessConfig?: { externalIp?: string } }[];
  health?: string;
  labels?: Record<string, string>;
  metadata?: Record<string, string>;
  tags?: string[];
  apiVersion?: string;
  queuedResource?: string;
  [field: string]: unknown;
}

export interface QueuedResourceStateJson {
  state: string;
  stateInitiator?: string;
  failedData?: { error: { code: number; message: string } };
  [data: string]: unknown;
}

export interface QueuedResourceJson {
  name?: string;
  createTime?: string;
  tpu?: { nodeSpec?: { parent?: string; nodeId?: string; node?: NodeJson }[] };
  spot?: Record<string, never>;
  guaranteed?: { minDuration?: string };
  queueingPolicy?: Record<string, unknown>;
  state?: QueuedResourceStateJson;
  reservationName?: string;
}

export interface OperationJson {
  name: string;
  metadata: Record<string, unknown>;
  done: boolean;
  response?: Record<string, unknown>;
  error?: { code: number; message: string };
}
