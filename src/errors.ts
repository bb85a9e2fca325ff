/**
 * One error type for everything Strato reports to a user.
 *
 * Every error carries a stable `code` that scripts can match on, whether
 * repeating the operation could help (`retryable`), an optional `hint` that
 * says how to fix it, and the underlying `cause`. Providers translate SDK and
 * transport errors into these at their edge; raw gRPC or HTTP errors never
 * reach the user. The CLI prints `message` and `hint`, and the stack only
 * with `--debug`.
 */

export type ErrorCode =
  /** The job spec (or another input document) is invalid. */
  | 'E_SPEC_INVALID'
  /** The command line is wrong: unknown command, flag or missing argument. */
  | 'E_USAGE'
  /** A named thing (job id, file, bucket, object) does not exist. */
  | 'E_NOT_FOUND'
  /** The provider cannot run this plan (e.g. TPUs on the local provider). */
  | 'E_UNSUPPORTED'
  /** A quota is exhausted. */
  | 'E_QUOTA'
  /** The zone or region has no capacity for the machines asked for (a stockout); another zone or model may. */
  | 'E_NO_CAPACITY'
  /** Credentials are missing or lack a permission. */
  | 'E_AUTH'
  /** A service refused the request as invalid. */
  | 'E_INVALID_REQUEST'
  /** A transient fault: unavailable, deadline exceeded, connection reset. */
  | 'E_TRANSIENT'
  /** Data failed an integrity check (checksum, framing). */
  | 'E_CORRUPT'
  /** A local file system or process operation failed. */
  | 'E_IO'
  /** The target changed under the operation (a generation precondition failed); run again. */
  | 'E_CONFLICT'
  /** A bug in Strato. */
  | 'E_INTERNAL';

/**
 * Codes that mean "the input was wrong", which the CLI maps to exit code 2.
 * Missing credentials or permissions count: the user fixes them, running again does not.
 */
const BAD_INPUT_CODES: ReadonlySet<ErrorCode> = new Set([
  'E_SPEC_INVALID',
  'E_USAGE',
  'E_NOT_FOUND',
  'E_AUTH',
]);

export interface StratoErrorOptions {
  hint?: string;
  cause?: unknown;
  retryable?: boolean;
}

/**
 * Every error Strato reports: a stable `code` (what kind of problem, and the
 * CLI's exit status), a one-line message, a `hint` that says how to fix it,
 * and `retryable` when the same call may succeed if repeated.
 */
export class StratoError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: StratoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StratoError';
    this.code = code;
    this.hint = options.hint;
    this.retryable = options.retryable ?? code === 'E_TRANSIENT';
  }

  /** 2 for bad input or usage, 1 for everything that failed while running. */
  get exitCode(): 1 | 2 {
    return BAD_INPUT_CODES.has(this.code) ? 2 : 1;
  }
}

/** One problem in an input document, located by its field path. */
export interface SpecIssue {
  /** Dotted field path, e.g. `resources.workers.replicas`; empty for the document itself. */
  path: string;
  /** What is wrong, in a sentence fragment without the path. */
  message: string;
  /** The value found, when there is one. */
  received?: unknown;
  /** The values that would be accepted, when they can be listed. */
  allowed?: readonly string[];
  /** How to fix it. */
  fix?: string;
}

/** A document with one or more problems; `issues` has one entry per problem. */
export class SpecError extends StratoError {
  readonly issues: readonly SpecIssue[];
  readonly source: string | undefined;

  constructor(issues: readonly SpecIssue[], source?: string) {
    super('E_SPEC_INVALID', formatSpecIssues(issues, source), {
      hint: 'Fix the fields above and run `strato validate` again.',
    });
    this.name = 'SpecError';
    this.issues = issues;
    this.source = source;
  }
}

/** Longest rendering of a received value: the input is the user's, and may be megabytes. */
const MAX_VALUE_SHOWN = 80;

/** Shortens text from the input for an error line, saying how long it was. */
export function shortenText(text: string, max = MAX_VALUE_SHOWN): string {
  return text.length > max ? `${text.slice(0, max - 3)}... (${text.length} characters)` : text;
}

/** Renders a received value compactly for an error line. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') {
    // Cut before quoting: JSON.stringify of a 50 MB string is 50 MB more.
    if (value.length <= MAX_VALUE_SHOWN) return JSON.stringify(value);
    return `${JSON.stringify(value.slice(0, MAX_VALUE_SHOWN - 5))}... (${value.length} characters)`;
  }
  const json = JSON.stringify(value);
  if (json === undefined) return String(value);
  return json.length > MAX_VALUE_SHOWN ? `${json.slice(0, MAX_VALUE_SHOWN - 3)}...` : json;
}

const MAX_ALLOWED_SHOWN = 12;

export function formatSpecIssue(issue: SpecIssue): string {
  const where = issue.path === '' ? '(document)' : issue.path;
  const parts = [`${where}: ${issue.message}`];
  if ('received' in issue) parts.push(`received ${describeValue(issue.received)}`);
  if (issue.allowed && issue.allowed.length > 0) {
    const shown = issue.allowed.slice(0, MAX_ALLOWED_SHOWN).join(', ');
    const more = issue.allowed.length > MAX_ALLOWED_SHOWN ? `, … (${issue.allowed.length} in all)` : '';
    parts.push(`allowed: ${shown}${more}`);
  }
  let line = parts.join('; ');
  if (issue.fix) line += `\n    fix: ${issue.fix}`;
  return line;
}

export function formatSpecIssues(issues: readonly SpecIssue[], source?: string): string {
  const head = `${source ? `${source}: ` : ''}${issues.length} problem${issues.length === 1 ? '' : 's'}`;
  return [head, ...issues.map((issue) => `  ${formatSpecIssue(issue)}`)].join('\n');
}

/**
 * What to do about a file-system error the machine caused, not Strato: a
 * full disk, a folder without write permission, a file where a folder should
 * be (`STRATO_HOME` pointing at a file). Keyed by errno code.
 */
const FILE_SYSTEM_FIXES: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full: free some space (old job folders under $STRATO_HOME/jobs can go) and run again',
  EDQUOT: 'the disk quota is used up: free some space and run again',
  EACCES:
    'no permission: check the owner and mode of the path and its folders, or set STRATO_HOME to a folder of yours',
  EPERM:
    'not permitted: check the owner and mode of the path and its folders, or set STRATO_HOME to a folder of yours',
  EROFS: 'the file system is read-only: set STRATO_HOME to a writable folder',
  ENOTDIR: 'a file stands where a folder is needed: check STRATO_HOME and the paths you gave',
  EISDIR: 'a folder stands where a file is needed: check the path',
  EMFILE: 'too many open files: raise the limit (ulimit -n) or run fewer jobs at once',
  ENAMETOOLONG: 'the path is too long: use a shorter STRATO_HOME or file name',
};

/** Wraps anything thrown into a StratoError, keeping StratoErrors as they are. */
export function toStratoError(error: unknown): StratoError {
  if (error instanceof StratoError) return error;
  const errno = error as NodeJS.ErrnoException | undefined;
  const fix = typeof errno?.code === 'string' ? FILE_SYSTEM_FIXES[errno.code] : undefined;
  if (fix && typeof errno?.syscall === 'string') {
    const where = errno.path ? ` ${errno.path}` : '';
    return new StratoError('E_IO', `cannot ${errno.syscall}${where}: ${errno.code}`, {
      cause: error,
      hint: fix,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new StratoError('E_INTERNAL', message, {
    cause: error,
    hint: 'This is a bug in Strato; run again with --debug and report the stack trace.',
  });
}
