/**
 * Long-running operations as Compute Engine reports them: every insert,
 * delete, stop, start and set* answers with an Operation (PENDING, then
 * RUNNING, then DONE with or without `error`), polled with `get` or held
 * with `wait` (which returns when the operation is DONE or after a cap,
 * as the real `wait` does after about two minutes:
 * https://cloud.google.com/compute/docs/api/how-tos/api-requests-responses#handling_api_responses).
 * The work an operation does happens when it finishes, so a slow operation
 * (a fault) keeps the resource in its in-between state for that long.
 */

export type Json = Record<string, unknown>;

/** What an operation's work reports: nothing on success, or the error the operation ends with. */
export interface OperationFailure {
  code: string;
  message: string;
  httpStatus: number;
}

export interface OperationScope {
  project: string;
  /** `zones/us-central1-a` or `global`. */
  scope: string;
}

interface Running {
  body: Json;
  waiters: (() => void)[];
  timer?: NodeJS.Timeout;
}

let sequence = 0;

export class Operations {
  private readonly all = new Map<string, Running>();
  private readonly baseUrl: () => string;
  /** How long each operation takes, in ms; read when the operation starts (a fault makes it slow). */
  durationMs: () => number;
  /** How long `wait` holds a request before answering with the operation still RUNNING. */
  waitCapMs: number;

  constructor(baseUrl: () => string, durationMs: () => number, waitCapMs = 120_000) {
    this.baseUrl = baseUrl;
    this.durationMs = durationMs;
    this.waitCapMs = waitCapMs;
  }

  /**
   * Starts an operation on `targetLink`; `work` runs when it finishes and
   * may fail it. Returns the operation as first answered (RUNNING).
   */
  start(
    where: OperationScope,
    operationType: string,
    target: { link: string; id: string },
    work: () => OperationFailure | undefined,
  ): Json {
    sequence++;
    const now = new Date();
    const name = `operation-${now.getTime()}-${sequence.toString(16).padStart(8, '0')}`;
    const body: Json = {
      kind: 'compute#operation',
      id: String(1_000_000_000_000 + sequence),
      name,
      operationType,
      targetLink: target.link,
      targetId: target.id,
      status: 'RUNNING',
      user: 'strato-fake@example.com',
      progress: 0,
      insertTime: now.toISOString(),
      startTime: now.toISOString(),
      selfLink: `${this.baseUrl()}/projects/${where.project}/${where.scope}/operations/${name}`,
    };
    if (where.scope.startsWith('zones/'))
      body.zone = `${this.baseUrl()}/projects/${where.project}/${where.scope}`;
    const running: Running = { body, waiters: [] };
    this.all.set(this.key(where, name), running);
    const finish = () => {
      running.timer = undefined;
      const failure = work();
      body.status = 'DONE';
      body.progress = 100;
      body.endTime = new Date().toISOString();
      if (failure) {
        body.error = { errors: [{ code: failure.code, message: failure.message }] };
        body.httpErrorStatusCode = failure.httpStatus;
        body.httpErrorMessage = failure.httpStatus === 403 ? 'FORBIDDEN' : 'SERVICE UNAVAILABLE';
      }
      for (const wake of running.waiters.splice(0)) wake();
    };
    const duration = this.durationMs();
    if (duration <= 0) queueMicrotask(finish);
    else running.timer = setTimeout(finish, duration);
    return { ...body };
  }

  /** An operation that already happened (a preemption): DONE when it is first seen. */
  record(
    where: OperationScope,
    operationType: string,
    target: { link: string; id: string },
    message: string,
  ): Json {
    const body = this.start(where, operationType, target, () => undefined);
    const stored = this.all.get(this.key(where, String(body.name)))!;
    clearTimeout(stored.timer);
    Object.assign(stored.body, {
      status: 'DONE',
      progress: 100,
      endTime: new Date().toISOString(),
      statusMessage: message,
    });
    return { ...stored.body };
  }

  get(where: OperationScope, name: string): Json | undefined {
    const found = this.all.get(this.key(where, name));
    return found ? { ...found.body } : undefined;
  }

  list(where: OperationScope): Json[] {
    const prefix = `${where.project}/${where.scope}/`;
    return [...this.all.entries()].filter(([key]) => key.startsWith(prefix)).map(([, r]) => ({ ...r.body }));
  }

  /** Resolves when the operation is DONE, or after the wait cap, or when the client goes away. */
  async wait(where: OperationScope, name: string, gone: AbortSignal): Promise<Json | undefined> {
    const found = this.all.get(this.key(where, name));
    if (!found) return undefined;
    if (found.body.status !== 'DONE') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.waitCapMs);
        function done() {
          clearTimeout(timer);
          gone.removeEventListener('abort', done);
          resolve();
        }
        found.waiters.push(done);
        gone.addEventListener('abort', done, { once: true });
      });
    }
    return { ...found.body };
  }

  /** Stops every pending timer (the server is closing); waiters are released. */
  close(): void {
    for (const running of this.all.values()) {
      clearTimeout(running.timer);
      for (const wake of running.waiters.splice(0)) wake();
    }
  }

  private key(where: OperationScope, name: string): string {
    return `${where.project}/${where.scope}/${name}`;
  }
}
