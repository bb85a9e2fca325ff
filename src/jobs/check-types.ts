/** What `checkSetup` reports: per provider or store, each fact it needs and whether it holds. */

/** Providers (`local`, `vertex`) and stores (`gs`, `s3`) that `strato check` looks at. */
export const CHECK_TARGETS = ['local', 'vertex', 'gs', 's3'] as const;
export type CheckTarget = (typeof CHECK_TARGETS)[number];

/** One fact: an endpoint, credentials, a project, a region, the API answering. */
export interface CheckItem {
  name: string;
  ok: boolean;
  /** What was found (or what went wrong), one line. */
  detail: string;
  /** The exact command or setting that fixes it, when `ok` is false. */
  fix?: string;
  /** False for facts only some uses need (Docker for `--docker`): they never make a target unusable. */
  required?: boolean;
}

export interface CheckResult {
  target: CheckTarget;
  /** Every required item holds. */
  usable: boolean;
  items: CheckItem[];
}

export interface CheckOptions {
  /** Read for endpoints (STORAGE_EMULATOR_HOST, STRATO_VERTEX_ENDPOINT, AWS_*); default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Which to check; default all of CHECK_TARGETS. */
  targets?: readonly CheckTarget[];
  /** Google Cloud project; default from the environment or gcloud's configuration. */
  project?: string;
  /** Vertex AI region; default `us-central1`. */
  region?: string;
  /** Longest wait for one target's answers (a blackholed endpoint); default 15 s. */
  timeoutMs?: number;
}

export function resultOf(target: CheckTarget, items: CheckItem[]): CheckResult {
  return { target, usable: items.every((item) => item.ok || item.required === false), items };
}

/** The message of anything thrown, with a StratoError's hint as the fix. */
export function failedItem(name: string, error: unknown, fix?: string): CheckItem {
  const err = error as { message?: string; hint?: string };
  const hint = fix ?? err.hint;
  return {
    name,
    ok: false,
    detail: (err.message ?? String(error)).split('\n')[0]!,
    ...(hint ? { fix: hint } : {}),
  };
}
